"""The dataset and provisioning packages work with the standard library alone."""

from __future__ import annotations

from ..test_import import run


def test_dataset_and_provisioning_import_without_optional_packages(tmp_path):
    result = run(
        f"""
        from personalize_sdk.dataset import CsvExporter, check_files
        from personalize_sdk.dataset.report_html import render_html
        from personalize_sdk.exceptions import ImproperlyInstalled
        from personalize_sdk.records import Event
        import personalize_sdk.provisioning as provisioning

        paths = CsvExporter({str(tmp_path)!r}).export(events=[Event("View", session_id="s", item_id="i")]).paths
        report = check_files(paths["Interactions"])
        assert "<svg" in render_html(report)
        provisioning.desired_state({{"dataset_group": "shop"}})
        try:
            provisioning.personalize_client(region_name="us-east-1")
        except ImproperlyInstalled as err:
            print("needs boto3:", err)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "needs boto3" in result.stdout and "[aws]" in result.stdout
