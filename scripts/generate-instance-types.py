#!/usr/bin/env python3
"""Generate runtime/cloudprovider/simulated/data/instance-types.json.

Inputs
  * Instance specs and per-AZ offerings: the data files shipped inside the
    `moto` wheel from PyPI (moto/ec2/resources/instance_types.json.gz and
    moto/ec2/resources/instance_type_offerings/availability-zone/us-east-1.json.gz).
    The wheel is downloaded with `pip download --no-deps` into a temporary
    directory, or read from --wheel PATH.  moto is never installed or vendored.
  * On-demand prices: scripts/data/on-demand-prices-us-east-1.json (committed,
    copied from a public generated price table; see its "source" block).
  * Spot prices: synthesized here, deterministically (see spot_price()).

The output is deterministic: the same wheel and price file always produce a
byte-identical file (no timestamps, sorted records, fixed key order).

Usage:
  python3 scripts/generate-instance-types.py [--wheel moto-X.Y.Z-py3-none-any.whl]
                                             [--moto-version 5.2.5] [--out PATH]
                                             [--check]
Standard library only (Python >= 3.9).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "runtime/cloudprovider/simulated/data/instance-types.json"
DEFAULT_PRICES = REPO_ROOT / "scripts/data/on-demand-prices-us-east-1.json"

# Pinned so that a plain re-run reproduces the committed file.
DEFAULT_MOTO_VERSION = "5.2.5"

REGION = "us-east-1"
ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]

SPECS_MEMBER = "moto/ec2/resources/instance_types.json"
OFFERINGS_MEMBER = f"moto/ec2/resources/instance_type_offerings/availability-zone/{REGION}.json"

BURSTABLE_SIZES = ["nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"]
GENERAL_SIZES = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"]
GRAVITON_SIZES = ["medium"] + GENERAL_SIZES
GPU_SIZES = ["xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"]

FAMILIES = {
    "t3": BURSTABLE_SIZES,
    "t3a": BURSTABLE_SIZES,
    "m5": GENERAL_SIZES,
    "m6i": GENERAL_SIZES,
    "m7i": GENERAL_SIZES,
    "c5": GENERAL_SIZES,
    "c6i": GENERAL_SIZES,
    "c7i": GENERAL_SIZES,
    "r5": GENERAL_SIZES,
    "r6i": GENERAL_SIZES,
    "m6g": GRAVITON_SIZES,
    "m7g": GRAVITON_SIZES,
    "c6g": GRAVITON_SIZES,
    "c7g": GRAVITON_SIZES,
    "r6g": GRAVITON_SIZES,
    "g5": GPU_SIZES,
}

ARCH_MAP = {"x86_64": "amd64", "arm64": "arm64"}

# Synthetic spot prices: spot = on-demand * f, f in [SPOT_MIN, SPOT_MAX],
# f drawn from sha256(SPOT_SEED|type|zone).
SPOT_SEED = "karpenter-ts-spot-v1"
SPOT_MIN = 0.30
SPOT_MAX = 0.45

FAMILY_RE = re.compile(r"^([a-z]+)(\d+)([a-z0-9-]*)$")


def log(msg: str) -> None:
    print(msg, file=sys.stderr)


def download_wheel(version: str, dest: Path) -> Path:
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        f"moto=={version}", "-d", str(dest),
    ]
    log("running: " + " ".join(cmd))
    subprocess.run(cmd, check=True, stdout=sys.stderr)
    wheels = sorted(dest.glob("moto-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected exactly one moto wheel in {dest}, found {wheels}")
    return wheels[0]


def read_json_member(zf: zipfile.ZipFile, member: str):
    """Return (data, member name) for `member` or `member.gz` in the wheel (moto ships both forms across versions)."""
    names = set(zf.namelist())
    if member in names:
        return json.loads(zf.read(member)), member
    if member + ".gz" in names:
        return json.loads(gzip.decompress(zf.read(member + ".gz"))), member + ".gz"
    return None, None


def wheel_version(zf: zipfile.ZipFile) -> str:
    for name in sorted(zf.namelist()):
        if name.endswith(".dist-info/METADATA"):
            for line in zf.read(name).decode("utf-8").splitlines():
                if line.startswith("Version:"):
                    return line.split(":", 1)[1].strip()
    raise SystemExit("could not find moto version in wheel METADATA")


def spot_price(name: str, zone: str, on_demand: float) -> float:
    digest = hashlib.sha256(f"{SPOT_SEED}|{name}|{zone}".encode("utf-8")).digest()
    u = int.from_bytes(digest[:8], "big") / 2.0**64  # [0, 1)
    factor = SPOT_MIN + (SPOT_MAX - SPOT_MIN) * u
    return round(on_demand * factor, 4)


def build_record(name: str, spec: dict, zones: list[str], on_demand: float) -> dict:
    family, size = name.split(".", 1)
    m = FAMILY_RE.match(family)
    if not m:
        raise SystemExit(f"cannot parse family {family!r}")
    category, generation = m.group(1), int(m.group(2))

    archs = spec["ProcessorInfo"]["SupportedArchitectures"]
    arch_values = sorted({ARCH_MAP[a] for a in archs if a in ARCH_MAP})
    if len(arch_values) != 1:
        raise SystemExit(f"{name}: unexpected architectures {archs}")

    net = spec["NetworkInfo"]
    max_enis = int(net["MaximumNetworkInterfaces"])
    ipv4_per_eni = int(net["Ipv4AddressesPerInterface"])

    rec = {
        "name": name,
        "family": family,
        "size": size,
        "generation": generation,
        "category": category,
        "vcpu": int(spec["VCpuInfo"]["DefaultVCpus"]),
        "memoryMiB": int(spec["MemoryInfo"]["SizeInMiB"]),
        "arch": arch_values[0],
        "cpuManufacturer": spec["ProcessorInfo"]["Manufacturer"].lower(),
        "hypervisor": spec["Hypervisor"],
        "maxENIs": max_enis,
        "ipv4PerENI": ipv4_per_eni,
        # EKS VPC CNI formula (eni-max-pods.txt).
        "maxPods": max_enis * (ipv4_per_eni - 1) + 2,
    }

    baselines = [c.get("BaselineBandwidthInGbps") for c in net.get("NetworkCards", [])]
    if baselines and all(isinstance(b, (int, float)) for b in baselines):
        rec["networkBandwidthMbps"] = int(round(sum(baselines) * 1000))

    gpus = spec.get("GpuInfo", {}).get("Gpus", [])
    if gpus:
        if len(gpus) != 1:
            raise SystemExit(f"{name}: mixed GPU models not supported: {gpus}")
        g = gpus[0]
        rec["gpu"] = {
            "count": int(g["Count"]),
            "name": g["Name"],
            "manufacturer": g["Manufacturer"],
            "memoryMiB": int(g["MemoryInfo"]["SizeInMiB"]),  # per GPU
        }

    rec["zones"] = zones
    rec["onDemandPrice"] = on_demand
    rec["spotPrice"] = {z: spot_price(name, z, on_demand) for z in zones}
    return rec


def generate(wheel: Path, prices_path: Path) -> dict:
    wheel_sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
    with zipfile.ZipFile(wheel) as zf:
        version = wheel_version(zf)
        specs, specs_member = read_json_member(zf, SPECS_MEMBER)
        offerings, offerings_member = read_json_member(zf, OFFERINGS_MEMBER)
    if specs is None:
        raise SystemExit(f"{SPECS_MEMBER}[.gz] not found in {wheel}")
    if isinstance(specs, list):
        specs = {s["InstanceType"]: s for s in specs}

    offered: dict[str, set[str]] = {}
    for o in offerings or []:
        offered.setdefault(o["InstanceType"], set()).add(o["Location"])

    price_doc = json.loads(prices_path.read_text(encoding="utf-8"))
    prices = price_doc["prices"]

    records = []
    for family, sizes in FAMILIES.items():
        for size in sizes:
            name = f"{family}.{size}"
            if name not in specs:
                continue  # size does not exist in the source data
            if name not in prices:
                raise SystemExit(f"{name}: no on-demand price in {prices_path}")
            zones = [z for z in ZONES if z in offered.get(name, set())]
            if name not in offered:
                zones = list(ZONES)  # no offering data: assume all three zones
            if not zones:
                continue  # offered in us-east-1, but not in our three zones
            records.append(build_record(name, specs[name], zones, float(prices[name])))

    records.sort(key=lambda r: (r["family"], r["vcpu"], r["memoryMiB"], r["name"]))

    src = price_doc["source"]
    return {
        "generated": "This file is generated by scripts/generate-instance-types.py. Do not edit by hand; re-run the script instead.",
        "region": REGION,
        "sources": {
            "instanceSpecs": {
                "package": "moto (PyPI)",
                "version": version,
                "wheel": wheel.name,
                "wheelSha256": wheel_sha256,
                "file": specs_member,
                "note": "AWS EC2 DescribeInstanceTypes output as captured by moto.",
            },
            "zones": {
                "package": "moto (PyPI)",
                "version": version,
                "file": offerings_member or f"(not in wheel: {OFFERINGS_MEMBER}[.gz])",
                "note": "DescribeInstanceTypeOfferings (location type availability-zone), restricted to "
                + ", ".join(ZONES) + "; types without offering data get all three zones.",
            },
            "onDemandPrices": {
                "file": "scripts/data/on-demand-prices-us-east-1.json",
                "upstreamRepository": src["repository"],
                "upstreamPath": src["path"],
                "upstreamCommit": src["commit"],
                "upstreamGeneratedAt": src["generatedAt"],
                "note": "Linux on-demand USD/hour, us-east-1.",
            },
            "spotPrices": {
                "synthetic": True,
                "note": "SYNTHETIC, for the simulator only: not real AWS spot prices. "
                f"spot = round(onDemand * f, 4) with f = {SPOT_MIN:.2f} + {SPOT_MAX - SPOT_MIN:.2f} * u, "
                f"u = first 8 bytes of sha256('{SPOT_SEED}|<type>|<zone>') / 2^64 "
                f"(i.e. {int(round((1 - SPOT_MAX) * 100))}-{int(round((1 - SPOT_MIN) * 100))}% savings).",
            },
        },
        "pricesAsOf": price_doc["pricesAsOf"],
        "instanceTypes": records,
    }


def validate(doc: dict) -> None:
    by_name = {r["name"]: r for r in doc["instanceTypes"]}
    missing = sorted(set(FAMILIES) - {r["family"] for r in doc["instanceTypes"]})
    if missing:
        raise SystemExit(f"families missing from output: {missing}")
    checks = [
        (by_name["t3a.medium"]["maxPods"], 17),
        (by_name["m5.large"]["maxPods"], 29),
        (by_name["t3a.medium"]["onDemandPrice"], 0.0376),
        (by_name["m5.large"]["onDemandPrice"], 0.096),
    ]
    for got, want in checks:
        if got != want:
            raise SystemExit(f"sanity check failed: got {got}, want {want}")
    for r in doc["instanceTypes"]:
        for z, p in r["spotPrice"].items():
            if not (0 < p < r["onDemandPrice"]):
                raise SystemExit(f"{r['name']} {z}: bad spot price {p}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel", type=Path, help="path to an already-downloaded moto wheel")
    ap.add_argument("--moto-version", default=DEFAULT_MOTO_VERSION, help="moto version to download (default %(default)s)")
    ap.add_argument("--prices", type=Path, default=DEFAULT_PRICES, help="on-demand price input file")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output file (default %(default)s)")
    ap.add_argument("--check", action="store_true", help="do not write; exit 1 if the output file is stale")
    args = ap.parse_args()

    if args.wheel:
        doc = generate(args.wheel, args.prices)
    else:
        with tempfile.TemporaryDirectory(prefix="moto-wheel-") as tmp:
            doc = generate(download_wheel(args.moto_version, Path(tmp)), args.prices)

    validate(doc)
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"

    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            log(f"{args.out} is out of date; re-run scripts/generate-instance-types.py")
            sys.exit(1)
        log(f"{args.out} is up to date")
        return

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    log(f"wrote {len(doc['instanceTypes'])} instance types to {args.out}")


if __name__ == "__main__":
    main()
