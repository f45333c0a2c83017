"""`FolderModel`: any model saved as a folder, wrapped as an MLflow pyfunc model.

Our models save themselves as a plain folder (weights, a config JSON, an index) and load with a
function `load(folder) -> model`. MLflow wants a pyfunc model, so that `mlflow.pyfunc.load_model`,
the UI's signature view and `mlflow models serve` work. The wrapper stores the folder as the pyfunc
artifact `model` and only the *dotted path* of the loader ("ranking.models:load_ranker"), never the
loaded object: the pickle holds two strings, and the weights stay in the folder's own format.

Serving does not go through pyfunc at all: it downloads a version and calls `model_folder()` to find
the folder inside, then its own loader; `model_folder()` also accepts a version registered from a
plain folder of run artifacts.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from mlflow.models import Model
from mlflow.pyfunc.model import PythonModel

ARTIFACT = "model"  # the pyfunc artifact key holding the folder
InputKind = Literal["matrix", "records"]


def import_loader(path: str) -> Callable[[Path], Any]:
    """`"package.module:function"` → the function (a clear error when either part is missing)."""
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"loader must look like 'package.module:function', got {path!r}")
    loader = getattr(importlib.import_module(module_name), attribute, None)
    if not callable(loader):
        raise ValueError(f"{path!r} is not a function")
    return loader  # type: ignore[no-any-return]


def predict_frame(model: Any, frame: pd.DataFrame, input_kind: InputKind) -> pd.DataFrame:
    """Call `model.predict` the way its family expects and return a DataFrame.

    "matrix": a float32 (N, F) array in the frame's column order (rankers: `RankerModel.predict`);
    "records": a list of row dicts (content encoders). A dict result becomes one column per key.
    """
    data: Any = frame.to_numpy(dtype=np.float32) if input_kind == "matrix" else frame.to_dict("records")
    output = model.predict(data)
    if isinstance(output, dict):
        return pd.DataFrame({key: np.asarray(value) for key, value in output.items()})
    array = np.asarray(output)
    return pd.DataFrame(array.reshape(len(array), -1))


class FolderModel(PythonModel):
    def __init__(self, loader: str, input_kind: InputKind = "matrix") -> None:
        import_loader(loader)  # fail at logging time, not at the first load in production
        self.loader = loader
        self.input_kind: InputKind = input_kind
        self.model: Any = None

    def load_context(self, context: Any) -> None:
        self.model = import_loader(self.loader)(Path(context.artifacts[ARTIFACT]))

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        return predict_frame(self.model, model_input, self.input_kind)


def model_folder(downloaded: Path) -> Path:
    """The model's own folder inside a downloaded model version.

    A pyfunc `FolderModel` keeps it under `artifacts/<name>` (its MLmodel says where); a version
    registered from a plain run-artifact folder *is* the folder.
    """
    mlmodel = downloaded / "MLmodel"
    if not mlmodel.exists():
        return downloaded
    flavor = Model.load(str(mlmodel)).flavors.get("python_function", {})
    artifact = flavor.get("artifacts", {}).get(ARTIFACT)
    if artifact is None:
        raise ValueError(f"{downloaded} holds an MLflow model that is not a pixelrank folder model")
    return downloaded / str(artifact["path"])
