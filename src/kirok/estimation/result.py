"""The result of one estimation run, serialisable so any published number can be reproduced.

A result carries the estimate with its interval, the method and model, every setting, the seed
(for LCMCR) and a SHA-256 of the capture-history table. Rerunning with the same table, settings
and seed gives the same numbers; the hash proves that the table is the same one.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from kirok import __version__

SCHEMA_VERSION = 1


def _clean(value: Any) -> Any:
    """Make a value JSON-safe: non-finite floats become None, tuples become lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return _clean(value.item())
    return value


@dataclass(frozen=True)
class EstimationResult:
    """An estimate of the total number of people (observed and unobserved)."""

    method: str  # "loglinear" or "lcmcr"
    model: str  # e.g. "[123,14,34]" or "LCMCR K=10"
    n_observed: int
    estimate: float  # the point estimate: N̂ (loglinear) or the posterior median (lcmcr)
    ci_lower: float | None
    ci_upper: float | None
    ci_level: float
    ci_method: str
    lists: tuple[str, ...]
    data_sha256: str
    settings: dict[str, Any]
    se: float | None = None
    median: float | None = None
    mean: float | None = None
    rhat: float | None = None
    seed: int | None = None
    seeds: tuple[int, ...] = ()
    diagnostics: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    # Posterior draws of N (chains x draws) for plots; not serialised (the seed reproduces them).
    draws: Any = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "method": self.method,
            "model": self.model,
            "n_observed": self.n_observed,
            "estimate": self.estimate,
            "ci_lower": self.ci_lower,
            "ci_upper": self.ci_upper,
            "ci_level": self.ci_level,
            "ci_method": self.ci_method,
            "se": self.se,
            "median": self.median,
            "mean": self.mean,
            "rhat": self.rhat,
            "warnings": list(self.warnings),
            "seed": self.seed,
            "chain_seeds": list(self.seeds),
            "lists": list(self.lists),
            "data_sha256": self.data_sha256,
            "settings": self.settings,
            "diagnostics": self.diagnostics,
            "details": self.details,
            "kirok_version": __version__,
            "schema_version": SCHEMA_VERSION,
        }
        cleaned: dict[str, Any] = _clean(data)
        return cleaned

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EstimationResult:
        """A result back from :meth:`to_dict` (e.g. a stored run's), without its draws."""

        def number(key: str) -> float | None:
            value = data.get(key)
            return float(value) if isinstance(value, int | float) else None

        seed = data.get("seed")
        return cls(
            method=str(data.get("method") or ""),
            model=str(data.get("model") or ""),
            n_observed=int(data.get("n_observed") or 0),
            estimate=float(data.get("estimate") or 0.0),
            ci_lower=number("ci_lower"),
            ci_upper=number("ci_upper"),
            ci_level=float(data.get("ci_level") or 0.95),
            ci_method=str(data.get("ci_method") or ""),
            lists=tuple(str(x) for x in data.get("lists") or ()),
            data_sha256=str(data.get("data_sha256") or ""),
            settings=dict(data.get("settings") or {}),
            se=number("se"),
            median=number("median"),
            mean=number("mean"),
            rhat=number("rhat"),
            seed=int(seed) if isinstance(seed, int) else None,
            seeds=tuple(int(s) for s in data.get("chain_seeds") or ()),
            diagnostics=dict(data.get("diagnostics") or {}),
            details=dict(data.get("details") or {}),
            warnings=tuple(str(w) for w in data.get("warnings") or ()),
        )

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)
