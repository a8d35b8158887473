"""Eval suite: hand-written fact files and SQuAD 2.0, scored by string matching, no LLM judge.

Entry points for the CLI (`rag eval`):
    facts.load_fact_files(paths)               -> validated cases (FactFileError on bad files)
    runner.run_eval(rag, files, k=top_k)       -> EvalRun; .to_json(), EvalRun.from_json()
    runner.load_thresholds(path), runner.check(run, thresholds) -> list of failures
    report.render_report(run, thresholds=None) -> Markdown
    squad.run_squad(rag, data_dir, work_dir, limit) -> dict
    squad.squad_markdown(result), squad.update_results_md(path, fragment)
Scoring lives in metrics (pure functions), records in results, limits in thresholds.
"""
