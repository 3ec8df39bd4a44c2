"""Every public function validates its parameters (sklearn's test_public_functions pattern).

The functions are discovered from the packages' ``__all__`` (:func:`skgalvae.utils.
all_functions`), so a new public function cannot escape: it is decorated with
:func:`sklearn.utils._param_validation.validate_params`, whose constraints must name every
parameter, or it is listed in ``NOT_VALIDATED`` with the reason.
"""

from inspect import signature
from numbers import Integral, Real

import pytest
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    generate_invalid_param_val,
    generate_valid_param,
    make_constraint,
)

from skgalvae.utils import all_functions

#: {qualified name: reason it is not decorated}
NOT_VALIDATED = {
    "skgalvae.study.main": (
        "the command line: argparse validates argv and the CLI reports bad options with "
        "exit status 2 (tested in tests/test_study.py)"
    ),
}

FUNCTIONS = all_functions()


def _params(func):
    names, required = [], []
    for p in signature(func).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        names.append(p.name)
        if p.default is p.empty:
            required.append(p.name)
    return names, required


def test_discovery_finds_the_public_functions():
    names = {name for name, _ in FUNCTIONS}
    assert {"skgalvae.selection.gz2_selection_mask", "skgalvae.analysis.property_scores",
            "skgalvae.datasets.make_galaxies", "skgalvae.models.latent_traversal",
            "skgalvae.plotting.plot_images"} <= names
    assert set(NOT_VALIDATED) <= names, "NOT_VALIDATED names a function that is gone"


@pytest.mark.parametrize("name, func", FUNCTIONS, ids=[name for name, _ in FUNCTIONS])
def test_function_param_validation(name, func):
    if name in NOT_VALIDATED:
        pytest.skip(NOT_VALIDATED[name])
    constraints = getattr(func, "_skl_parameter_constraints", None)
    assert constraints is not None, (
        f"{name} is public but not decorated with validate_params: decorate it, or list "
        "it in NOT_VALIDATED with the reason."
    )
    params, required = _params(func)
    assert set(constraints) == set(params), (
        f"{name}: the constraints and the parameters differ: missing "
        f"{set(params) - set(constraints)}, unexpected {set(constraints) - set(params)}"
    )
    valid_required = {}
    for param in required:
        if constraints[param] == "no_validation":
            valid_required[param] = 1
        else:
            valid_required[param] = generate_valid_param(make_constraint(constraints[param][0]))
    bad_type = type("BadType", (), {})()
    func_name = name.rsplit(".", 1)[1]
    for param in params:
        if constraints[param] == "no_validation":
            continue
        kinds = [c for c in constraints[param] if isinstance(c, Interval)]
        assert not ({Integral, Real} <= {c.type for c in kinds}), (
            f"{name}: {param} mixes Integral and Real intervals; use RealNotInt"
        )
        match = rf"The '{param}' parameter of {func_name} must be .* Got .* instead."
        with pytest.raises(InvalidParameterError, match=match):
            func(**{**valid_required, param: bad_type})
        for constraint in map(make_constraint, constraints[param]):
            try:
                bad_value = generate_invalid_param_val(constraint)
            except NotImplementedError:
                continue
            with pytest.raises(InvalidParameterError, match=match):
                func(**{**valid_required, param: bad_value})
