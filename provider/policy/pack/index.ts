/**
 * The karpenter-ts policy pack: `pulumi preview --policy-pack <this folder>` (after `npm run build`, point at
 * dist/provider/policy/pack). Constructing PolicyPack starts the policy server, so nothing else imports this file.
 */
import { PolicyPack } from '@pulumi/policy';
import { karpenterPolicies } from '../policies';

new PolicyPack('karpenter-ts-mistakes', { policies: karpenterPolicies() });
