/**
 * The controller image: either given (`image` arg) or built with @pulumi/docker-build from the build context the
 * package ships (dist/image/: the prebuilt single-file bundle and a Dockerfile that only copies it) and pushed to
 * an ECR repository created here.
 */
import * as aws from '@pulumi/aws';
import * as dockerBuild from '@pulumi/docker-build';
import * as pulumi from '@pulumi/pulumi';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../runtime/package-root';

export interface ImageBuildArgs {
  /**
   * The build context: a folder laid out as `npm run bundle` writes dist/image/ (Dockerfile, karpenter-ts.js and
   * its source map and legal notices, package.json, examples/lab).
   * @default the dist/image/ folder of this installed karpenter-ts package
   */
  context?: string;
  /** @default `<context>/Dockerfile` */
  dockerfile?: string;
  /** @default "linux/amd64" */
  platform?: dockerBuild.Platform;
  /** @default "latest" */
  tag?: string;
  /** Delete the repository with its images on destroy. @default true */
  forceDelete?: boolean;
}

export interface ControllerImage {
  /** The reference the Deployment runs: the pushed digest when built. */
  ref: pulumi.Output<string>;
  repository?: aws.ecr.Repository;
  image?: dockerBuild.Image;
}

/** The image's build context inside the package (`npm run bundle` writes it; the packed package ships it). */
export const IMAGE_CONTEXT_DIR = join('dist', 'image');

/** Where the image is built from. */
export function buildContext(args: ImageBuildArgs): { context: string; dockerfile: string } {
  const context = args.context ?? join(packageRoot(__dirname), IMAGE_CONTEXT_DIR);
  return { context, dockerfile: args.dockerfile ?? join(context, 'Dockerfile') };
}

/** Why the image cannot be built from `args`, naming the fix; undefined when its Dockerfile is there. */
export function buildContextProblem(args: ImageBuildArgs): string | undefined {
  const { dockerfile } = buildContext(args);
  if (existsSync(dockerfile)) return undefined;
  const fix =
    args.context === undefined && args.dockerfile === undefined
      ? 'this copy of karpenter-ts has no prebuilt image context: run `npm run bundle` in a source checkout, ' +
        'install the packed package, or set `image` to a pushed controller image'
      : 'point imageBuild.context at a folder laid out as `npm run bundle` writes dist/image/, or set `image`';
  return `imageBuild: no Dockerfile at ${dockerfile}; ${fix}`;
}

export function controllerImage(
  name: string,
  image: pulumi.Input<string> | undefined,
  build: ImageBuildArgs,
  parent: pulumi.Resource,
): ControllerImage {
  if (image !== undefined) return { ref: pulumi.output(image) };
  const problem = buildContextProblem(build);
  if (problem) throw new Error(problem);
  const { context, dockerfile } = buildContext(build);
  const opts = { parent };
  const repository = new aws.ecr.Repository(
    `${name}-controller`,
    {
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      forceDelete: build.forceDelete ?? true,
    },
    opts,
  );
  const token = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, opts);
  const built = new dockerBuild.Image(
    `${name}-controller`,
    {
      context: { location: context },
      dockerfile: { location: dockerfile },
      platforms: [build.platform ?? 'linux/amd64'],
      push: true,
      tags: [pulumi.interpolate`${repository.repositoryUrl}:${build.tag ?? 'latest'}`],
      registries: [
        {
          address: repository.repositoryUrl,
          username: token.userName,
          password: pulumi.secret(token.password),
        },
      ],
    },
    opts,
  );
  return { ref: built.ref, repository, image: built };
}
