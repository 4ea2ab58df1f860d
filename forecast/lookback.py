"""The lookback setting `"auto"`: chosen on the validation part, THE rule's constants.

`AUTO` ("auto") is the default lookback: `Forecaster.fit` chooses it with
`Forecaster.choose_lookback` (the linear baseline, the map the default models start from,
scored on the validation windows for every candidate; `forecast.panel.lookback_choice` over
many series) when the data has a validation part, and uses `FALLBACK` steps when it has none.
"""

from __future__ import annotations

from typing import Any

AUTO = "auto"  # lookback setting: choose on the validation part
FALLBACK = 48  # lookback used for AUTO when there is no validation part


def is_auto(lookback: Any) -> bool:
    """Whether a lookback setting asks for the choice on validation (`AUTO`)."""
    return isinstance(lookback, str) and lookback.strip().lower() == AUTO
