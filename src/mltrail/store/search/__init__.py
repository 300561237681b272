"""Search-filter parsing shared by every store: MLflow's filter grammar, order_by, page tokens.

>>> from mltrail.store.search import parse_filter, parse_order_by, RUN_SPEC
>>> parse_filter("metrics.rmse < 7", RUN_SPEC)
[Comparison(entity='metric', key='rmse', op='<', value=7.0)]
"""

from .filters import (
    ATTRIBUTE,
    EXPERIMENT_SPEC,
    METRIC,
    PARAM,
    RUN_SPEC,
    TAG,
    Comparison,
    OrderKey,
    SearchSpec,
    parse_filter,
    parse_order_by,
)
from .page_token import check_max_results, decode_page_token, encode_page_token

__all__ = [
    "ATTRIBUTE",
    "EXPERIMENT_SPEC",
    "METRIC",
    "PARAM",
    "RUN_SPEC",
    "TAG",
    "Comparison",
    "OrderKey",
    "SearchSpec",
    "parse_filter",
    "parse_order_by",
    "check_max_results",
    "decode_page_token",
    "encode_page_token",
]
