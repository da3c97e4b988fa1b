"""grader/surface.py, the graded surface: its numbers are the ones every copy uses."""
from grader import surface


def test_the_students_budget_model_trains_as_the_grader_does():
    from utils import budget  # shipped to students: it cannot import the grader
    assert (budget.TRAIN, budget.VAL, budget.TEST) == tuple(surface.SUBSETS.values())
    assert (budget.BATCH, budget.VALIDATE_INTERVAL) == (surface.BATCH_SIZE, surface.VALIDATE_INTERVAL)


def test_every_layer_has_a_module_the_worker_imports():
    assert surface.module_of("Linear") == "layers.linear"
    assert surface.module_of("CrossEntropyLoss") == "layers.loss_func"
    assert all(path.startswith("layers/") and path.endswith(".py") for path in surface.STUDENT_LAYER_FILES)


def test_the_worker_reads_the_same_surface():
    from grader.worker import probes
    assert probes.LAYER_MODULES == {layer: surface.module_of(layer) for layer in surface.LAYERS}


def test_the_corpus_checks_are_the_layer_checks():
    import importlib
    import pkgutil
    import grader.checks
    from tests.corpus.bugs import CHECKS
    ids = set()
    for info in pkgutil.iter_modules(grader.checks.__path__):
        module = importlib.import_module(f"grader.checks.{info.name}")
        ids |= {name.removeprefix("test_") for name, f in vars(module).items()
                if name.startswith("test_") and callable(f) and not str(getattr(f, "__number__", "")).startswith("6.")}
    assert set(CHECKS) == ids
