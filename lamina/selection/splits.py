"""``make_splits``: the (train, validation) index pairs of a cross-validation, from
scikit-learn's splitters.

``cv=5`` is K-fold (stratified K-fold with ``stratify``, group K-fold with ``groups``, stratified
group K-fold with both); ``cv=0.2`` is one hold-out split of 20% (stratified with ``stratify``,
by whole groups with ``groups``); a scikit-learn splitter object or a list of index pairs is used
as given.

>>> import numpy as np
>>> y = np.array([0] * 6 + [1] * 3)
>>> folds = make_splits(9, cv=3, stratify=y, seed=0)
>>> [np.bincount(y[val]).tolist() for _, val in folds]
[[2, 1], [2, 1], [2, 1]]
>>> train, val = make_splits(10, cv=0.3, seed=0)[0]
>>> len(train), len(val)
(7, 3)
"""

from __future__ import annotations

import numbers

import numpy as np

from lamina.selection._deps import sklearn_model_selection


def labels_of(y) -> np.ndarray:
    """Class labels from targets: integer labels as they are, one-hot rows by their argmax."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    return y.reshape(len(y), -1)[:, 0] if y.ndim > 1 else y


def make_splits(
    n_samples: int,
    cv=5,
    stratify=None,
    groups=None,
    shuffle: bool = True,
    seed: int | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(train_indices, validation_indices), ...]`` for ``n_samples`` samples.

    Args:
        n_samples: how many samples there are.
        cv: the number of folds (an int >= 2), a hold-out fraction in (0, 1), a scikit-learn
            splitter (anything with ``split(x, y, groups)``), or an iterable of index pairs.
        stratify: class labels (or one-hot targets) to keep each class's share in every fold.
        groups: a group id per sample; no group is split between training and validation.
        shuffle: shuffle before K-fold splitting (scikit-learn's ``KFold`` default is False;
            data files are often sorted by class, so lamina shuffles unless told not to).
        seed: the shuffle's seed (``random_state``).
    """
    ms = sklearn_model_selection()
    placeholder = np.zeros((n_samples, 1))
    labels = None if stratify is None else labels_of(stratify)
    if labels is not None and len(labels) != n_samples:
        raise ValueError(f"stratify has {len(labels)} labels for {n_samples} samples")
    if groups is not None:
        groups = np.asarray(groups)
        if len(groups) != n_samples:
            raise ValueError(f"groups has {len(groups)} entries for {n_samples} samples")
    if cv is None or isinstance(cv, (str, bool)):
        raise ValueError(
            f"cv must be a number of folds, a hold-out fraction, a scikit-learn splitter or a "
            f"list of (train, validation) index pairs, got {cv!r}"
        )
    if hasattr(cv, "split"):
        splitter = cv
    elif isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        if cv < 2:
            raise ValueError(f"cv must be at least 2 folds, got {cv}; use cv=0.2 for a hold-out")
        splitter = _kfold(ms, int(cv), labels is not None, groups is not None, shuffle, seed)
    elif isinstance(cv, numbers.Real) and not isinstance(cv, bool):
        if not 0 < cv < 1:
            raise ValueError(f"a hold-out fraction cv must be in (0, 1), got {cv}")
        if groups is not None:
            splitter = ms.GroupShuffleSplit(n_splits=1, test_size=cv, random_state=seed)
        elif labels is not None:
            splitter = ms.StratifiedShuffleSplit(n_splits=1, test_size=cv, random_state=seed)
        else:
            splitter = ms.ShuffleSplit(n_splits=1, test_size=cv, random_state=seed)
    else:
        return [_checked(pair, n_samples) for pair in cv]
    return [_checked(pair, n_samples) for pair in splitter.split(placeholder, labels, groups)]


def _kfold(ms, k, stratified, grouped, shuffle, seed):
    state = seed if shuffle else None
    if stratified and grouped:
        return ms.StratifiedGroupKFold(n_splits=k, shuffle=shuffle, random_state=state)
    if grouped:
        try:
            return ms.GroupKFold(n_splits=k, shuffle=shuffle, random_state=state)
        except TypeError:  # scikit-learn < 1.6: GroupKFold has no shuffle
            return ms.GroupKFold(n_splits=k)
    if stratified:
        return ms.StratifiedKFold(n_splits=k, shuffle=shuffle, random_state=state)
    return ms.KFold(n_splits=k, shuffle=shuffle, random_state=state)


def _checked(pair, n_samples):
    try:
        train, val = pair
    except (TypeError, ValueError):
        raise ValueError(
            f"each split must be a (train_indices, validation_indices) pair, got {pair!r}"
        ) from None
    train, val = np.asarray(train), np.asarray(val)
    if train.dtype == bool:  # masks, as some hand-made splits are
        train, val = np.flatnonzero(train), np.flatnonzero(val)
    for part, what in ((train, "training"), (val, "validation")):
        if part.size == 0:
            raise ValueError(f"a split has no {what} samples")
        if part.dtype.kind not in "iu" or part.min() < 0 or part.max() >= n_samples:
            raise ValueError(f"{what} indices must be integers in [0, {n_samples})")
    return train.astype(np.intp), val.astype(np.intp)
