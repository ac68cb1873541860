/**
 * The controller image: either given (`image` arg) or built from runtime/Dockerfile (context = the package root; the
 * Dockerfile's first stage bundles the controller into one file) with @pulumi/docker-build and pushed to an ECR
 * repository created here.
 */
import * as aws from '@pulumi/aws';
import * as dockerBuild from '@pulumi/docker-build';
import * as pulumi from '@pulumi/pulumi';
import { join } from 'node:path';
import { packageRoot } from '../../runtime/package-root';

export interface ImageBuildArgs {
  /**
   * The build context: a karpenter-ts source checkout (runtime/Dockerfile bundles sdk/ and runtime/ itself, so it
   * needs package.json, package-lock.json, sdk/, runtime/, scripts/bundle.ts and examples/lab).
   * @default the root of this karpenter-ts package
   */
  context?: string;
  /** @default `<context>/runtime/Dockerfile` */
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

export function buildContext(args: ImageBuildArgs): { context: string; dockerfile: string } {
  const context = args.context ?? packageRoot(__dirname);
  return { context, dockerfile: args.dockerfile ?? join(context, 'runtime', 'Dockerfile') };
}

export function controllerImage(
  name: string,
  image: pulumi.Input<string> | undefined,
  build: ImageBuildArgs,
  parent: pulumi.Resource,
): ControllerImage {
  if (image !== undefined) return { ref: pulumi.output(image) };
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
  const { context, dockerfile } = buildContext(build);
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
