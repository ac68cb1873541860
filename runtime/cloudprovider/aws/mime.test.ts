import { isMimeDocument, mimePart, parseMime, serializeMime } from './mime';

const F = 'EC2NodeClass spec.userData';

describe('parseMime', () => {
  it("reads upstream's documented AL2023 example, whose last delimiter is never closed", async () => {
    const doc = [
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="//"',
      '',
      '--//',
      'Content-Type: text/x-shellscript; charset="us-ascii"',
      '',
      '#!/bin/bash',
      'echo "Hello, AL2023!"',
      '',
      '--//',
      'Content-Type: application/node.eks.aws',
      '',
      'apiVersion: node.eks.aws/v1alpha1',
      'kind: NodeConfig',
      '--//',
      '',
    ].join('\n');
    expect(await parseMime(doc, F)).toEqual([
      {
        contentType: 'text/x-shellscript',
        head: 'Content-Type: text/x-shellscript; charset="us-ascii"\n\n',
        body: '#!/bin/bash\necho "Hello, AL2023!"\n',
      },
      {
        contentType: 'application/node.eks.aws',
        head: 'Content-Type: application/node.eks.aws\n\n',
        body: 'apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig',
      },
    ]);
  });

  it('takes CRLF, a preamble, an epilogue, an unquoted boundary and a part without headers', async () => {
    const doc =
      'Content-Type: multipart/mixed; boundary=B\r\n\r\nignored preamble\r\n--B\r\n\r\nno headers\r\n--B\r\nContent-Type: text/cloud-config\r\n\r\n#cloud-config\r\n--B--\r\nignored epilogue\r\n';
    expect(await parseMime(doc, F)).toEqual([
      { contentType: 'text/plain', head: '\n', body: 'no headers' },
      {
        contentType: 'text/cloud-config',
        head: 'Content-Type: text/cloud-config\n\n',
        body: '#cloud-config',
      },
    ]);
  });

  it('reads a single-part document as one part', async () => {
    // Blank lines before the headers, as a YAML block can leave them, are not an empty header block.
    const parts = await parseMime('\n\nContent-Type: text/x-shellscript\n\n#!/bin/sh\necho one\n', F);
    expect(parts).toEqual([
      {
        contentType: 'text/x-shellscript',
        head: 'Content-Type: text/x-shellscript\n\n',
        body: '#!/bin/sh\necho one\n',
      },
    ]);
  });

  it('keeps a nested multipart part whole', async () => {
    const nested = '--C\nContent-Type: text/plain\n\ninner\n--C--\n';
    const doc = `Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: multipart/alternative; boundary=C\n\n${nested}\n--B--\n`;
    const parts = await parseMime(doc, F);
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatchObject({ contentType: 'multipart/alternative', body: nested });
  });

  it('refuses a multipart document whose boundary delimits nothing, saying how to fix it', async () => {
    const doc =
      'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="BOUNDARY"\n\n--OTHER\nContent-Type: text/x-shellscript\n\necho\n--OTHER--\n';
    await expect(parseMime(doc, F)).rejects.toThrow(
      `${F} is MIME multipart but has no part delimited by its boundary "BOUNDARY": start each part with a "--BOUNDARY" line and end the document with "--BOUNDARY--"`,
    );
  });
});

describe('isMimeDocument', () => {
  it('is true for text starting with a MIME header, as upstream decides', () => {
    expect(isMimeDocument('  MIME-Version: 1.0\n')).toBe(true);
    expect(isMimeDocument('content-type: multipart/mixed; boundary=x\n')).toBe(true);
    expect(isMimeDocument('#!/bin/bash\n# Content-Type: x')).toBe(false);
  });
});

describe('serializeMime', () => {
  const parts = [
    mimePart(
      'text/x-shellscript; charset="us-ascii"',
      '#!/bin/bash\necho "Running custom user data script"\n',
    ),
    mimePart('application/node.eks.aws', 'apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig'),
  ];

  it('writes the layout upstream documents: MIME-Version, boundary "//", LF line ends, a closing delimiter', async () => {
    expect(await serializeMime(parts)).toBe(
      [
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="//"',
        '',
        '--//',
        'Content-Type: text/x-shellscript; charset="us-ascii"',
        '',
        '#!/bin/bash',
        'echo "Running custom user data script"',
        '',
        '--//',
        'Content-Type: application/node.eks.aws',
        '',
        'apiVersion: node.eks.aws/v1alpha1',
        'kind: NodeConfig',
        '--//--',
        '',
      ].join('\n'),
    );
  });

  it('round-trips through parseMime', async () => {
    expect(await parseMime(await serializeMime(parts), F)).toEqual(parts);
  });

  it('picks another boundary when a part holds a line that would end "//"', async () => {
    const clash = [...parts, mimePart('text/x-shellscript', 'echo start\n--//\necho still the script')];
    const doc = await serializeMime(clash);
    expect(doc).toContain('boundary="//1"');
    expect(await parseMime(doc, F)).toEqual(clash);
  });
});
