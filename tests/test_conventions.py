"""The conventions of the field the package keeps: type hints on public functions (as timm has them),
mmaction2's docstring form for arguments (``name (type): ...``) and, for transforms, the keys they
require, add and modify."""
import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / 'loki_video'
ARG_ENTRY = re.compile(r'^ {4}(\**\w+)( \([^)]*\))?:', re.M)  # an entry of an Args: section


def is_triton_kernel(function):
    return any('jit' in ast.unparse(decorator) or 'autotune' in ast.unparse(decorator)
               for decorator in function.decorator_list)


def public_functions():
    """``(path, owner class or None, function node)`` of every public function and method."""
    for path in sorted(PACKAGE.rglob('*.py')):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith('_'):
                yield from ((path, node, item) for item in node.body if isinstance(item, ast.FunctionDef)
                            and (not item.name.startswith('_') or item.name == '__init__'))
            elif isinstance(node, ast.FunctionDef) and not node.name.startswith('_') and not is_triton_kernel(node):
                yield path, None, node


def unannotated(owner, function):
    args = function.args.posonlyargs + function.args.args + function.args.kwonlyargs
    if owner is not None and args and args[0].arg in ('self', 'cls', 'ctx'):
        args = args[1:]
    missing = [a.arg for a in args if a.annotation is None]
    varargs = (function.args.vararg, function.args.kwarg)
    missing += [f'*{a.arg}' for a in varargs if a is not None and a.annotation is None]
    if function.returns is None and function.name != '__init__':
        missing.append('return')
    return missing


def test_public_functions_have_type_hints():
    missing = [f'{path.relative_to(PACKAGE.parent)}:{function.lineno} {function.name} {names}'
               for path, owner, function in public_functions() if (names := unannotated(owner, function))]
    assert not missing, '\n'.join(missing)


def test_documented_arguments_state_their_type():
    untyped = []
    for path in sorted(PACKAGE.rglob('*.py')):
        for node in ast.walk(ast.parse(path.read_text())):
            doc = ast.get_docstring(node) if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else None
            if doc and 'Args:' in doc:
                section = re.split(r'\n\S', doc.split('Args:', 1)[1])[0]
                untyped += [f'{path.relative_to(PACKAGE.parent)} {node.name}: {name}'
                            for name, kind in ARG_ENTRY.findall(section) if not kind]
    assert not untyped, '\n'.join(untyped)


def test_transforms_state_their_keys():
    undocumented = []
    for path in sorted((PACKAGE / 'datasets' / 'transforms').glob('*.py')):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and any('Transform' in ast.unparse(base) for base in node.bases):
                doc = ast.get_docstring(node) or ''
                if 'Required Keys:' not in doc or not ('Added Keys:' in doc or 'Modified Keys:' in doc):
                    undocumented.append(f'{path.name} {node.name}')
    assert not undocumented, undocumented
