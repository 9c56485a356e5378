"""The shared report of a sheet-import job (批量修改, 招生计划数, 毕业去向 include it)."""

from django.template.loader import render_to_string


def test_the_report_lists_the_refused_rows_and_says_when_it_cut_them():
    html = render_to_string("common/_import_result.html", {
        "outcome": {"filename": "计划.xlsx", "summary": ["共3行:设置1项,未通过2行"], "failed_count": 2,
                    "failures": [{"row": 3, "name": "天河区第一初级中学", "messages": ["计划数应为整数", "学校不在范围内"]}]},
        "tid": "plan-import", "name_label": "学校"})
    assert 'data-testid="plan-import-result"' in html and 'data-testid="plan-import-failures"' in html
    assert "导入结果:计划.xlsx" in html and "<th>学校</th>" in html
    assert "计划数应为整数;学校不在范围内" in html and "只列出前1行" in html
    assert "<th>姓名</th>" in render_to_string("common/_import_result.html", {
        "outcome": {"filename": "x.xlsx", "summary": [], "failed_count": 1,
                    "failures": [{"row": 2, "name": "张三", "messages": ["姓名与学籍号不符"]}]}, "tid": "t"})
