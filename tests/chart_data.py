"""Small synthetic results for the chart and HTML tests: built from the record types, no engine, no files."""

from __future__ import annotations

from bench.results import BaseImage, BuildRecord, Layer, RunInfo, Step

BASE_BYTES = 176_000_000
INSTALLED_BYTES = {"seed": 158_000_000, "tiny": 12_000_000}
WHEEL_BYTES = {"seed": 30_000_000, "tiny": 2_500_000}
RM_LEFTOVER = 1_000_000  # copy-rm deletes the wheels in a later layer, the COPY layer stays: it is not smaller


def layers(scenario: str, variant: str) -> tuple[Layer, ...]:
    base = Layer("", BASE_BYTES, from_base=True)
    installed = Layer("RUN pip install /whl/*.whl", INSTALLED_BYTES[scenario])
    wheels = Layer("COPY /whl/*.whl /whl/", WHEEL_BYTES[scenario])
    if variant == "mount":
        return (base, installed)
    if variant == "copy-rm":
        return (base, wheels, installed, Layer("RUN rm -rf /whl", RM_LEFTOVER))
    return (base, wheels, installed)


def steps(variant: str, wall_s: float, *, observed: bool = True) -> tuple[Step, ...]:
    """Internal, build-stage, final-stage and export steps, with observed times unless ``observed`` is False."""
    spans = [
        ("[internal] load build definition from x.Dockerfile", None, 0.0, 0.2),
        ("[build 1/3] FROM docker.io/bench-standin/python-full:3.11", "build", 0.2, 0.3),
        ("[build 3/3] RUN pip wheel -r requirements.txt --wheel-dir /whl", "build", 0.3, 2.0),
        (f"[stage-1 2/2] RUN --mount=type=bind,target=/whl,source=/whl,from=build pip install ({variant})",
         "stage-1", 2.0, wall_s - 1.5),
        ("exporting to image", None, wall_s - 1.5, wall_s - 0.3),
    ]
    return tuple(
        Step(vertex=i, name=name, status="done", duration_s=round(end - start, 3), cached=False, stage=stage,
             start_s=start if observed else None, end_s=end if observed else None)
        for i, (name, stage, start, end) in enumerate(spans, start=1)
    )


def record(scenario: str, variant: str, repeat: int, wall_s: float, *, warmup: bool = False, ok: bool = True,
           observed: bool = True) -> BuildRecord:
    lays = layers(scenario, variant) if ok else ()
    return BuildRecord(
        scenario=scenario, variant=variant, repeat=repeat, status="ok" if ok else "failed",
        started_at=f"2026-12-05T10:{repeat:02d}:00+00:00", wall_s=wall_s,
        image_size_bytes=sum(x.size_bytes for x in lays) if ok else None, layers=lays,
        steps=steps(variant, wall_s, observed=observed) if ok else (), warmup=warmup,
        error=None if ok else "pip: no matching distribution", image_id=f"sha256:{repeat:064d}" if ok else None,
    )


def records(scenarios: tuple[str, ...] = ("seed", "tiny"), repeats: int = 5, *, slow: float = 0.0,
            fail: tuple[str, str] | None = ("tiny", "mount")) -> list[BuildRecord]:
    """Per scenario: one warm-up (much slower) and ``repeats`` measured builds of copy, mount and copy-rm,
    interleaved; ``fail`` names one cell whose last repeat failed."""
    out = []
    base = {"seed": 14.0, "tiny": 4.0}
    for scenario in scenarios:
        for repeat in range(repeats + 1):
            for i, variant in enumerate(("copy", "mount", "copy-rm")):
                wall = base[scenario] + slow + 0.1 * i + 0.05 * ((repeat * 7 + i * 3) % 5)
                failed = (scenario, variant) == fail and repeat == repeats
                out.append(record(scenario, variant, repeat, wall + (30.0 if repeat == 0 else 0.0),
                                  warmup=repeat == 0, ok=not failed))
    return out


def run_info(run_id: str = "2026-12-05T10-00-00Z", created_at: str = "2026-12-05T10:00:00+00:00") -> RunInfo:
    return RunInfo(
        run_id=run_id, created_at=created_at,
        engine={"server_version": "20.10.24", "storage_driver": "overlay2", "buildkit_version": "v0.8",
                "buildkit_version_source": "inferred", "client_path": "/usr/bin/docker",
                "client_version": "20.10.24", "builder": "classic"},
        host={"cpu_count": 2, "mem_total_bytes": 25_000_000_000, "kernel": "6.1 <test>"},
        bases=(BaseImage(role="final", requested="python:3.11-slim", used="bench-standin/python-slim:3.11",
                         image_id="sha256:1", standin=True, recipe="debootstrap & trim"),),
        index={"mode": "local", "server": "pypiserver"}, plan=(),
        settings={"plan": {"repeat": 5, "warmup": 1, "order": "shuffled", "seed": 7}, "cold": True},
    )
