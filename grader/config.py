"""Every threshold and budget the grader uses, in one place."""

# Relative error ||got - want|| / (||got|| + ||want||) allowed between a
# submission's output and the reference's on the same float64 inputs. Both are
# exact formulas, so they agree to rounding (~1e-15); 1e-6 leaves room for a
# different but equivalent order of operations.
FORWARD_RTOL = 1e-6
BACKWARD_RTOL = 1e-6
# A submission's analytic gradient against the centred numerical gradient of its
# own forward (step NUMERIC_STEP, float64): the usual practice is < 1e-7 for a
# correct layer; 1e-5 tolerates kinks near zero without hiding real errors.
NUMERIC_STEP = 1e-5
NUMERIC_RTOL = 1e-5
# Loss values: a small epsilon inside the log (up to about 1e-8, common in
# student code) is fine; a wrong formula is off by far more than this.
LOSS_RTOL = 1e-4
# The loss when the true class has probability 1e-6: an epsilon of 1e-8 or less
# in the log stays within this; 1e-7 or larger does not.
LOSS_TINY_PROB = 1e-6
LOSS_TINY_RTOL = 1e-3
# Parameters after SGD steps on a small network, against the reference's.
TRAIN_RTOL = 1e-6

# Seconds one worker call may take before the worker is killed. Layer calls
# get tiny arrays: even a loop-per-sample implementation needs well under 1 s.
CALL_TIMEOUT = 5.0
# Seconds for the training probes (a few hundred steps of a tiny network).
TRAIN_TIMEOUT = 10.0

# The notebook's accuracy targets.
VAL_ACCURACY_THRESHOLD = 0.40
TEST_ACCURACY_THRESHOLD = 0.35
# The toy 4-10-3 network: after TOY_STEPS full-batch steps the reference's loss
# is about 0.01 from about 1.3; a working submission must get below this.
TOY_STEPS = 300
TOY_FINAL_LOSS = 0.1
