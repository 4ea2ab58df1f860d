"""The refit: after every choice is made on the validation part, the model is trained again
on the training and validation rows together, so it sees each series' most recent rows.

`Forecaster.fit(refit=True)` (a new model, with a validation part cut from the series) first
fits as always: the lookback, the calendar, the epoch (early stopping), the guard, the
combination and the interval calibration are chosen on the validation windows. Then it
trains a new model of the same settings and seed on `joined_parts` for exactly the chosen
epoch count (`epochs_for`: none when the start, the linear baseline, was kept), without
validation, with the linear baseline refitted on the same rows with the ridge penalty chosen
before. The scaler, the guard, the combination and the calibration stay as chosen.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd


def continues(train: pd.DataFrame, held: pd.DataFrame, start: int) -> bool:
    """Whether a validation frame `held` (its first `start` rows the context) continues the
    training part `train`: its context rows are the training part's last rows."""
    if start <= 0 or start > len(train):
        return start == 0 and len(held) > 0 and train.index[-1] < held.index[0]
    return train.index[-start:].equals(held.index[:start])


def joined_parts(
    train: Mapping[str, pd.DataFrame],
    held: Mapping[str, pd.DataFrame],
    starts: Mapping[str, int],
) -> dict[str, pd.DataFrame]:
    """Each series' training part followed by its validation rows (those after the context,
    `held[k].iloc[starts[k]:]`) where the validation part continues the series (`continues`);
    the training part alone elsewhere (separate validation data, or no validation part)."""
    out = {}
    for key, frame in train.items():
        other = held.get(key)
        if other is None or not continues(frame, other, starts[key]):
            out[key] = frame
            continue
        joined = pd.concat([frame, other.iloc[starts[key] :]])
        joined.attrs = dict(frame.attrs)
        out[key] = joined
    return out


def epochs_for(best_epoch: int | None) -> int | None:
    """Epochs the refit trains: the chosen (best) epoch; 0 when the start was kept; None
    when nothing was chosen (no validation: no refit)."""
    return None if best_epoch is None else int(best_epoch)
