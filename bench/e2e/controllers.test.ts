import { imageNodeFlags } from './controllers';

describe('e2e controllers', () => {
  it("runs the bundle with the image's Node.js flags", () => {
    expect(imageNodeFlags('FROM x\nENTRYPOINT ["node", "/app/karpenter-ts.js", "controller"]\n')).toEqual([]);
    expect(
      imageNodeFlags('ENTRYPOINT ["node", "--max-semi-space-size=4", "/app/karpenter-ts.js", "controller"]'),
    ).toEqual(['--max-semi-space-size=4']);
    expect(() => imageNodeFlags('CMD ["x"]')).toThrow(/no ENTRYPOINT/);
  });
});
