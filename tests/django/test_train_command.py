from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from personalize_sdk.backends.memory import MemoryBackend


class Trainable(MemoryBackend):
    """A backend of the shop's own that announces it can train."""

    can_train = True
    trained = 0

    def train(self, background=False):
        Trainable.trained += 1
        return "3 interactions, every use case ready"


def run() -> str:
    out = StringIO()
    call_command("personalize_train", stdout=out)
    return out.getvalue()


def test_backends_that_train_themselves_are_left_alone():
    with override_settings(PERSONALIZE={"BACKEND": "personalize_sdk.backends.memory.MemoryBackend"}):
        assert "trains itself" in run()


def test_any_backend_that_can_train_is_trained():
    with override_settings(PERSONALIZE={"BACKEND": Trainable}):
        output = run()
    assert output == "Trained: 3 interactions, every use case ready\n"
    assert Trainable.trained == 1


def test_the_local_engine_is_trained_and_its_report_printed(tmp_path):
    pytest.importorskip("numpy")
    settings = {"BACKEND": "local", "OPTIONS": {"path": str(tmp_path), "auto_train": False}}
    with override_settings(PERSONALIZE=settings):
        output = run()
    assert output.startswith("Trained:")
    assert "recommended_for_you" in output


def test_a_backend_that_cannot_be_loaded_is_a_command_error():
    with override_settings(PERSONALIZE={"BACKEND": "personalize_sdk.backends.nothing.Backend"}):
        with pytest.raises(CommandError, match="cannot be imported"):
            run()
