"""Starts moto's server with two test additions. Arguments are moto.server's.

1. PutParameter may write the public EKS and Bottlerocket AMI parameters. Real SSM (and moto) refuse writes under
   /aws/, and moto ships none of the EKS-optimized or Bottlerocket AMI parameters the AWS provider resolves aliases
   through, so tests inject them.
2. CreateFleet answers InsufficientInstanceCapacity for the offerings listed in KARPENTER_TS_MOTO_ICE
   (comma-separated `capacityType:instanceType:zone`), the way EC2 reports an offering without capacity: the
   override appears in the response's Errors and no instance is launched from it. moto never runs out otherwise.
"""
import os
import sys
import threading
import time

from moto.ec2.models.fleets import FleetsBackend
from moto.ec2.responses.fleets import Fleets
from moto.server import main
from moto.ssm.models import SimpleSystemManagerBackend

INJECTABLE_PREFIXES = ("/aws/service/eks/", "/aws/service/bottlerocket/")
_STAGING = "/karpenter-ts-injected"
_original_put_parameter = SimpleSystemManagerBackend.put_parameter


def _put_parameter(self, name, *args, **kwargs):
    if not name.startswith(INJECTABLE_PREFIXES):
        return _original_put_parameter(self, name, *args, **kwargs)
    staged = _STAGING + name
    # Stage under an unreserved name (keeping earlier versions so Overwrite counts versions), then move back.
    self._parameters[staged] = self._parameters.pop(name, [])
    try:
        param = _original_put_parameter(self, staged, *args, **kwargs)
    finally:
        versions = self._parameters.pop(staged, [])
        for version in versions:
            version.name = name
        self._parameters[name] = versions
    return param


SimpleSystemManagerBackend.put_parameter = _put_parameter

NO_CAPACITY = {e.strip() for e in os.environ.get("KARPENTER_TS_MOTO_ICE", "").split(",") if e.strip()}
_fleet_errors = threading.local()
_original_backend_create_fleet = FleetsBackend.create_fleet
_original_response_create_fleet = Fleets.create_fleet


def _backend_create_fleet(self, **kwargs):
    target = dict(kwargs.get("target_capacity_specification") or {})
    lifecycle = target.get("DefaultTargetCapacityType") or "on-demand"
    errors, configs = [], []
    for config in kwargs.get("launch_template_configs") or []:
        kept = []
        for override in config.get("Overrides") or []:
            zone = override.get("AvailabilityZone")
            if not zone and override.get("SubnetId"):
                zone = self.get_subnet(override["SubnetId"]).availability_zone
            if f"{lifecycle}:{override.get('InstanceType')}:{zone}" in NO_CAPACITY:
                errors.append(
                    {
                        "LaunchTemplateAndOverrides": {
                            "LaunchTemplateSpecification": config.get("LaunchTemplateSpecification"),
                            "Overrides": override,
                        },
                        "Lifecycle": lifecycle,
                        "ErrorCode": "InsufficientInstanceCapacity",
                        "ErrorMessage": "We currently do not have sufficient capacity in the Availability Zone you requested.",
                    }
                )
            else:
                kept.append(override)
        if kept:
            configs.append({**config, "Overrides": kept})
    _fleet_errors.value = errors
    if errors and not configs:
        target["TotalTargetCapacity"] = 0
    return _original_backend_create_fleet(
        self, **{**kwargs, "launch_template_configs": configs, "target_capacity_specification": target}
    )


def _response_create_fleet(self):
    _fleet_errors.value = []
    result = _original_response_create_fleet(self)
    if _fleet_errors.value:
        result.result["Errors"] = _fleet_errors.value
    return result


FleetsBackend.create_fleet = _backend_create_fleet
Fleets.create_fleet = _response_create_fleet



def _exit_with_parent() -> None:
    """Stops the server when the test process that started it dies without calling stop()."""
    parent = os.getppid()
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            os._exit(0)


if __name__ == "__main__":
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    main(sys.argv[1:])
