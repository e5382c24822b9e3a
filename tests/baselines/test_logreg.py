"""Logistic regression: separable data, L2 picked on the dev set (never on test), determinism."""

import numpy as np

from kaldinn.baselines.logreg import dev_scores, fit_logistic_regression, select_l2


def blobs(n_per_class: int, seed: int, classes: int = 4, dim: int = 6) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = 4.0 * np.eye(classes, dim)
    y = np.repeat(np.arange(classes), n_per_class)
    return centres[y] + rng.normal(scale=0.5, size=(len(y), dim)), y


def test_separable_classes_are_learned():
    x, y = blobs(30, seed=0)
    x_test, y_test = blobs(20, seed=1)
    model = fit_logistic_regression(x, y, num_classes=4, l2=1e-3)
    assert np.mean(model.log_posteriors(x).argmax(1) == y) == 1.0
    assert np.mean(model.log_posteriors(x_test).argmax(1) == y_test) >= 0.99
    np.testing.assert_allclose(np.exp(model.log_posteriors(x_test)).sum(1), 1.0)
    again = fit_logistic_regression(x, y, num_classes=4, l2=1e-3)
    np.testing.assert_array_equal(model.weight, again.weight)  # zero start, full batch: deterministic


def test_stronger_l2_gives_smaller_weights():
    x, y = blobs(30, seed=0)
    norms = [np.linalg.norm(fit_logistic_regression(x, y, 4, l2).weight) for l2 in (1e-3, 1e-1, 10.0)]
    assert norms[0] > norms[1] > norms[2]


def imbalanced_training_set() -> tuple[np.ndarray, np.ndarray]:
    """1-D: 90 class-0 rows around -1, 10 class-1 rows around +1. A weak L2 draws a boundary
    near 0; a huge one leaves only the bias and always says class 0 (the majority)."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-1.0, 0.5, 90), rng.normal(1.0, 0.5, 10)])[:, None]
    return x, np.array([0] * 90 + [1] * 10)


def test_the_dev_set_decides_the_l2():
    x, y = imbalanced_training_set()
    grid = (1e-4, 1e3)
    balanced_dev = (np.array([[-1.0], [-0.8], [0.8], [1.0]]), np.array([0, 0, 1, 1]))
    class0_dev = (np.array([[0.8], [1.0], [1.2]]), np.array([0, 0, 0]))
    picked = select_l2(x, y, *balanced_dev, num_classes=2, grid=grid)
    assert picked.model.l2 == 1e-4 and picked.best.dev_accuracy == 1.0
    picked = select_l2(x, y, *class0_dev, num_classes=2, grid=grid)
    assert picked.model.l2 == 1e3 and picked.best.dev_accuracy == 1.0
    # the recorded trials are the dev scores of the fitted models
    for trial in picked.trials:
        refit = fit_logistic_regression(x, y, 2, trial.l2)
        assert dev_scores(refit, *class0_dev) == trial


def test_dev_labels_unknown_to_training_count_as_errors():
    x, y = blobs(10, seed=0, classes=2)
    model = fit_logistic_regression(x, y, 2, 1e-2)
    trial = dev_scores(model, x[:4], np.array([-1, -1, 0, 0]))
    assert trial.dev_accuracy == 0.5 and np.isfinite(trial.dev_cross_entropy)
