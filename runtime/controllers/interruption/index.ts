export {
  InterruptionController,
  emptyStats,
  type InterruptionControllerOptions,
  type InterruptionSettings,
  type InterruptionSourceOptions,
  type InterruptionStats,
  type MarkUnavailable,
} from './controller';
export { actionsFor, eventFor, InterruptionReasons, type InterruptionAction } from './actions';
export { InMemoryMessageSource } from '../../cloudprovider/interruption/memory-source';
export {
  DetailTypes,
  EventSources,
  instanceIdOf,
  isActionable,
  MESSAGE_KINDS,
  parseMessage,
  type ActionableKind,
  type ActionableMessage,
  type InterruptionMessage,
  type MessageKind,
} from '../../cloudprovider/interruption/messages';
export type { MessageSource, SourcedMessage } from '../../cloudprovider/interruption/source';
export { SqsMessageSource, VISIBILITY_TIMEOUT_SECONDS, WAIT_TIME_SECONDS } from './sqs-poller';
