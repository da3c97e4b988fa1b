"""utils/budget.py (through grader/cost.py): the FLOP count by hand on a tiny network, seconds from a given
calibration, and the advice for a budget."""
import math

import pytest

from grader import cost

# A calibration with round numbers: from hidden size 100 on, a step takes
# 1e-4 s per hidden unit and a forward pass of 200 rows 3e-5 s per unit.
LINEAR = cost.Calibration(hidden=(100, 1000), step=(0.01, 0.1), forward=(0.003, 0.03),
                          one_thread=True, seconds=0.0)


def test_step_flops_by_hand():
    b, h, d, c = 2, 3, 4, 5
    products = {  # 2 * rows * inner * columns for each of the six
        "x @ W1": 2 * b * d * h, "h @ W2": 2 * b * h * c,
        "dW2 = h.T @ g": 2 * h * b * c, "dh = g @ W2.T": 2 * b * c * h,
        "dW1 = x.T @ dh": 2 * d * b * h, "dx = dh @ W1.T": 2 * b * h * d,
    }
    elementwise = {
        "bias adds": b * h + b * c, "relu": b * h, "softmax": 5 * b * c, "loss": 2 * b,
        "dlogits": 2 * b * c + b, "db2": b * c, "relu backward": 2 * b * h, "db1": b * h,
        "sgd": 4 * (d * h + h + h * c + c),
    }
    flops = cost.step_flops(b, h, d, c)
    assert flops.matmul == sum(products.values()) == 324
    assert flops.elementwise == sum(elementwise.values()) == 266
    assert flops.total == 590


def test_forward_flops_by_hand():
    n, h, d, c = 3, 2, 4, 5
    assert cost.forward_flops(n, h, d, c).matmul == 2 * n * d * h + 2 * n * h * c == 108
    assert cost.forward_flops(n, h, d, c).elementwise == 2 * n * h + 7 * n * c == 117


def test_epochs_batches_and_validations():
    assert cost.batches(5000, 200) == [200] * 25
    assert cost.batches(450, 200) == [200, 200, 50]
    assert [cost.validations(e) for e in (1, 2, 3, 4, 120)] == [1, 1, 1, 2, 40]
    # 4 epochs: validated after epochs 0 and 3, then predict on 5000 + 250 + 500 rows.
    assert cost.predicted_rows(4) == 2 * 250 + 5750
    step, forward = cost.step_flops(200, 80), cost.forward_flops(2 * 250 + 5750, 80)
    assert cost.training_flops(4, 80).total == 4 * 25 * step.total + forward.total


def test_training_flops_of_the_reference_setting():
    # [0.1, 0.002, 120, 80]: 3000 steps of about 6 * 200 * 80 * 3082 = 0.30 GFLOP.
    flops = cost.training_flops(120, 80)
    assert math.isclose(flops.matmul, 3000 * 6 * 200 * 80 * 3082 + 2 * 15750 * 80 * 3082)
    # Element-wise work is 1.09 MFLOP a step (SGD's 4 * 246,650 of it) against
    # 296 MFLOP of products: 0.37 %. Its cost is in time, not in FLOPs.
    assert 0.003 < flops.elementwise / flops.total < 0.005


def test_seconds_from_a_calibration():
    # 100 epochs at 1000: 2500 steps of 0.1 s; 34 validations of 250 rows and
    # 5750 rows of predict, 71.25 forward passes of 0.03 s.
    assert math.isclose(cost.training_seconds(100, 1000, LINEAR), 250 + 71.25 * 0.03)
    # Below the smallest size calibrated, that size's figure: a floor, never less.
    assert LINEAR.per_step(50) == LINEAR.per_step(1) == LINEAR.per_step(100) == 0.01
    # Past the largest, along the last segment.
    assert math.isclose(LINEAR.per_step(2000), 0.2)


def test_noisy_calibration_never_makes_a_larger_network_cheaper():
    noisy = cost.Calibration((16, 128, 512), step=(0.004, 0.02, 0.015), forward=(1, 1, 1),
                             one_thread=True, seconds=0.0)
    assert noisy.per_step(300) == noisy.per_step(512) == 0.02
    assert noisy.per_step(100) <= noisy.per_step(128)


def test_advice_when_it_fits():
    advice = cost.advise([0.1, 0.002, 120, 80], budget=180, calibration=LINEAR)
    # 80 is below LINEAR's smallest size (100): that size's figures, 0.01 s and 0.003 s.
    assert advice.fits and math.isclose(advice.seconds, 120 * 25 * 0.01 + 78.75 * 0.003)
    assert "within the 3 min allowed" in advice.message()


def test_advice_says_how_many_epochs_or_units_fit():
    advice = cost.advise([0.1, 0.001, 100, 1000], budget=180, calibration=LINEAR)
    assert not advice.fits
    # e epochs cost 2.5 e + (ceil(e / 3) * 250 + 5750) / 200 * 0.03 s: 179.26 s
    # at 71, 181.76 s at 72.
    assert advice.max_epochs == 71
    # 100 epochs cost 0.2521375 s per hidden unit: 713 units fit in 180 s.
    assert advice.max_hidden == 713
    message = advice.message()
    assert "over the 3 min allowed" in message
    assert "at most 71 epochs at hidden size 1000" in message
    assert "hidden size at most 713 at 100 epochs" in message


def test_advice_when_nothing_fits():
    advice = cost.advise([0.1, 0.001, 100, 1000], budget=0.1, calibration=LINEAR)
    assert (advice.max_epochs, advice.max_hidden) == (0, 0)
    assert "fewer epochs and a smaller hidden size" in advice.message()


def test_a_setting_that_fits_is_told_the_most_epochs_that_would():
    advice = cost.advise([0.1, 0.001, 150, 100], budget=180, calibration=LINEAR)
    assert advice.fits and advice.max_epochs > 150
    assert cost.training_seconds(advice.max_epochs, 100, LINEAR) <= 180
    assert cost.training_seconds(advice.max_epochs + 1, 100, LINEAR) > 180


def test_the_budget_check_students_run_refuses_what_the_grader_would():
    from utils import budget
    budget.check([0.1, 0.002, 120, 80])  # the reference's: about half a minute
    with pytest.raises(budget.OverBudget, match="over the 2.5 min allowed: use at most"):
        budget.check([0.1, 0.001, 1500, 200])


def test_durations_read_at_a_glance():
    from utils.budget import _duration
    assert [_duration(s) for s in (31, 99.4, 150, 180, 840, 3900)] == [
        "31 s", "99 s", "2.5 min", "3 min", "14 min", "1 h 5 min"]


@pytest.mark.parametrize("epochs, hidden", [(400, 300), (1500, 2000)])
def test_advice_is_consistent_with_the_prediction(epochs, hidden):
    advice = cost.advise([0.1, 0.001, epochs, hidden], budget=180, calibration=LINEAR)
    assert not advice.fits
    assert cost.training_seconds(advice.max_epochs, hidden, LINEAR) <= 180
    assert cost.training_seconds(advice.max_epochs + 1, hidden, LINEAR) > 180
    if advice.max_hidden:
        assert cost.training_seconds(epochs, advice.max_hidden, LINEAR) <= 180
        assert cost.training_seconds(epochs, advice.max_hidden + 1, LINEAR) > 180


def test_a_quota_below_one_core_stretches_the_speed_by_its_inverse():
    # CPU seconds are what the calibration counts; under half a CPU each takes two on the clock.
    whole = cost.speed(LINEAR, quota=4.0)
    assert cost.speed(LINEAR, quota=0.5) == pytest.approx(2 * whole)
    assert cost.speed(LINEAR, quota=1.0) == whole == cost.speed(LINEAR, quota=2.0)
