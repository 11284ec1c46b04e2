"""The part of Python autograde runs in a learner's answer cell (empathy_ce.grading.screening)."""

from __future__ import annotations

import nbformat
import pytest
from nbgrader import utils
from support import ROOT

from empathy_ce.cells import item_spec
from empathy_ce.grading.screening import Unsafe, check

pytestmark = pytest.mark.hardening

ALLOWED = [
    "pooled_z = None\nz = [math.atanh(r) for r in r_values]\nw = [n - 3 for n in n_values]\n"
    "pooled_z = sum(a * b for a, b in zip(w, z)) / sum(w)",
    "import statistics as st\nmiddle = st.median([3, 1, 2])",
    "from math import atanh, tanh\npooled_r = tanh(atanh(0.2))",
    "def weight(n, offset=3):\n    return n - offset\n\nweights = list(map(weight, n_values))",
    "total = 0\nfor i, r in enumerate(r_values):\n    if r > 0.2:\n        total += r\n    else:\n        continue\n",
    "r_values[0] = 0.5\nsummary = {'k': len(r_values)}\nsummary.update(n=sum(n_values))",
    "q = 3.349\ni_squared = max(0.0, (q - 4) / q) * 100 if q > 4 else 0.0\nprint(f'{i_squared:.1f}%')",
    "x = np.mean(np.array([1.0, 2.0]))\ny = np.corrcoef([1, 2, 3], [2, 4, 7])[0, 1]",
    "# only a comment",
]
REFUSED = {
    "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass'])": "input_transformers_cleanup",
    "ip = get_ipython()": "'get_ipython' is not allowed",
    "class Anything:\n    def __eq__(self, other):\n        return True": "ClassDef",
    "abs = lambda x: 0": "'abs' cannot be assigned",
    "def float(x):\n    return 0.2198": "'float' cannot be assigned",
    "import sys": "only math, statistics may be imported",
    "import os as math": "'import os'",
    "math = 3": "'math' cannot be assigned",
    "import math as np": "'np' cannot be assigned",
    "from statistics import sys": "'from statistics import sys'",
    "from math import *": "'from math import *'",
    "x = statistics.random": "'statistics.random'",
    "x = np.ctypeslib": "'np.ctypeslib'",
    "x = (1).__class__.__bases__": "underscore",
    "x = __builtins__": "underscore",
    "f = open('answers.json', 'w')": "'open' is not allowed",
    "x = eval('1')": "'eval' is not allowed",
    "x = getattr(math, 'pi')": "'getattr' is not allowed",
    "x = type(1)": "'type' is not allowed",
    "x = In[-1]": "'In' is not allowed",
    "global pooled_z": "Global",
    "pooled_z.real = 3": "cannot be assigned ('.real')",
    "x = plt.savefig": "'.savefig' is not allowed",
    "%time x = 1": "IPython magics",
    "!cat answers.json": "IPython magics",
    "try:\n    pass\nexcept Exception:\n    pass": "Try",
    "with open('x') as f:\n    pass": "With",
    "del r_values": "Delete",
    "x = [y := 1]": "NamedExpr",
    "@staticmethod\ndef f():\n    return 1": "decorators",
    "x = (lambda: 0).__code__": "underscore",
    "x = '{0.__globals__}'.format(weight)": "'.format' is not allowed",
}


@pytest.mark.parametrize("source", ALLOWED)
def test_plain_answers_are_run(source: str):
    check(source)


def test_the_course_solutions_are_run():
    checked = 0
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and utils.is_solution(cell) and item_spec(cell.source) is None:
                check(cell.source.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", ""))
                checked += 1
    assert checked == 3  # the coding path of the outcomes data notebook


def test_everything_else_is_refused_with_line_and_reason():
    for source, reason in REFUSED.items():
        with pytest.raises(Unsafe, match=r"^line \d+: ") as raised:
            check(source)
        assert reason in str(raised.value), (source, str(raised.value))
