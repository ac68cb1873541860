/**
 * The live viewer: Node and Pod informers on any KubeApi (a kubeconfig's cluster or the embedded simulator), and a
 * redraw shortly after each burst of changes instead of polling the API server.
 */
import type { Clock } from '../clock/clock';
import type { KubeApi } from '../kube/api';
import { Informer } from '../kube/informer';
import { Kinds } from '../kube/kinds';
import type { Node, Pod } from '../kube/objects';
import { buildViewerModel, type PriceLookup, type ViewerOptions } from './model';
import { renderViewer, type RenderOptions } from './render';

export interface LiveViewerOptions extends ViewerOptions, RenderOptions {
  api: KubeApi;
  clock: Clock;
  priceOf: PriceLookup;
  /** Receives each frame's text. */
  write: (frame: string) => void;
  /** Changes within this window are drawn as one frame. @default 200 */
  debounceMs?: number;
  onError?: (err: unknown) => void;
}

export class LiveViewer {
  private readonly nodes: Informer<Node>;
  private readonly pods: Informer<Pod>;
  private cancel: (() => void) | undefined;
  /** Frames drawn so far. */
  frames = 0;

  constructor(private readonly opts: LiveViewerOptions) {
    this.nodes = new Informer(opts.api, Kinds.Node, opts.clock, opts.onError);
    this.pods = new Informer(opts.api, Kinds.Pod, opts.clock, opts.onError);
    this.nodes.onChange(() => this.schedule());
    this.pods.onChange(() => this.schedule());
  }

  async start(): Promise<void> {
    await Promise.all([this.nodes.start(), this.pods.start()]);
    this.draw();
  }

  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
    this.nodes.stop();
    this.pods.stop();
  }

  /** The current frame's text. */
  render(): string {
    const { priceOf, nodeSelector, sort, resources, extraLabels } = this.opts;
    const model = buildViewerModel(this.nodes.list(), this.pods.list(), priceOf, {
      ...(nodeSelector ? { nodeSelector } : {}),
      ...(sort ? { sort } : {}),
    });
    return renderViewer(model, {
      ...(resources ? { resources } : {}),
      ...(extraLabels ? { extraLabels } : {}),
    });
  }

  private schedule(): void {
    if (this.cancel) return;
    this.cancel = this.opts.clock.setTimer(this.opts.debounceMs ?? 200, () => {
      this.cancel = undefined;
      this.draw();
    });
  }

  private draw(): void {
    // This frame shows every change so far, including any that scheduled the next one.
    this.cancel?.();
    this.cancel = undefined;
    this.frames++;
    this.opts.write(this.render());
  }
}
