"""No module of the project imports itself, directly or through others: each import runs one
way. (That the domain imports neither the console nor the surveys is import-linter's contract
in pyproject.toml, checked by `make lint`.)"""

import grimp

PACKAGES = ("escalation", "agents_console", "surveys")


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Each module that an import of its own leads back to, with the way back."""
    return [
        [module, *chain]
        for module in sorted(graph.modules)
        for imported in sorted(graph.find_modules_directly_imported_by(module))
        if (chain := graph.find_shortest_chain(importer=imported, imported=module))
    ]


def test_no_import_cycles() -> None:
    # An import under TYPE_CHECKING never runs (escalation/events.py annotates with the models).
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True, cache_dir=None)

    assert import_cycles(graph) == []
