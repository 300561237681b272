"""Model packaging: the MLmodel format, signatures, environments, pyfunc, URIs, serving.

>>> from mltrail.models import Model, infer_signature, ModelSignature
>>> sig = infer_signature(X_train, model.predict(X_train))
>>> Model.load("path/to/model").flavors

Names resolve lazily: importing this package does not import YAML, numpy or pandas.
"""

from __future__ import annotations

from ..lazy_names import lazy_getattr

_LAZY = {
    "Model": ".model",
    "ModelInfo": ".model_info",
    "ModelSignature": ".signature",
    "Schema": ".signature",
    "ColSpec": ".signature",
    "TensorSpec": ".signature",
    "infer_signature": ".signature",
    "get_model_info": ".loading",
    "resolve_model_uri": ".uri",
    "set_registry_resolver": ".uri",
    "download_model": ".uri",
    "convert_input_example_to_serving_input": ".input_example",
    "validate_serving_input": ".serving_input",
    "set_signature": ".model_edits",
    "update_model_requirements": ".model_edits",
    "infer_pip_requirements": ".model_edits",
}


__getattr__ = lazy_getattr(__name__, _LAZY)


__all__ = list(_LAZY)
