"""Generated taxi-trip data for ``mltrail demo`` (no downloads).

Shaped like the NYC green-taxi data of the seed workflow: pick-up and
drop-off zones, a trip distance, and the trip duration in minutes to predict.
The duration depends on the distance, on per-zone congestion and on the
pair of zones, so a linear baseline leaves room for a tuned XGBoost model.

>>> train = taxi_trips(month=1, n=1000)
>>> sorted(train[0][0])
['PU_DO', 'trip_distance']
"""

from __future__ import annotations

from typing import Any


def taxi_trips(month: int, n: int = 20_000, n_zones: int = 40) -> tuple[list[dict[str, Any]], Any]:
    """Return ``(records, durations)`` for one month: records are dicts with
    ``PU_DO`` (a ``"<pickup>_<dropoff>"`` string) and ``trip_distance`` (miles);
    durations a numpy array of minutes. Months share the zones' behaviour
    (seeded) and differ in sampling noise, like January and February do.
    """
    import numpy as np

    zones = np.random.default_rng(2021)  # the city: same for every month
    congestion = zones.gamma(2.0, 1.0, size=n_zones)
    pair_effect = zones.normal(0.0, 2.5, size=(n_zones, n_zones))

    rng = np.random.default_rng(2021 + month)
    pu = rng.integers(0, n_zones, size=n)
    do = rng.integers(0, n_zones, size=n)
    distance = np.round(rng.lognormal(mean=0.8, sigma=0.7, size=n), 2)
    speed = 11.0 / (1.0 + 0.15 * (congestion[pu] + congestion[do]))  # miles per hour
    minutes = 60.0 * distance / speed + 2.0 + pair_effect[pu, do] + rng.normal(0.0, 2.0, size=n)
    minutes = np.clip(minutes, 1.0, 60.0)
    records = [
        {"PU_DO": f"{p + 1}_{d + 1}", "trip_distance": float(x)}
        for p, d, x in zip(pu.tolist(), do.tolist(), distance.tolist())
    ]
    return records, minutes
