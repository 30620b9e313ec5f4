"""Entry point of the process that seeds a TVB home: a project with a connectivity.

Run as ``python -m tvb_ngnmm.gui._seed PROJECT_NAME CONNECTIVITY_ZIP`` with ``TVB_USER_HOME``
set; uses TVB's scripting interface ``tvb.interfaces.command.lab``.
"""

from __future__ import annotations

import sys

from tvb.basic.profile import TvbProfile


def main(argv: list[str]) -> int:
    """Create the project (if absent) and import the connectivity into it."""
    project_name, zip_path = argv

    TvbProfile.set_profile(TvbProfile.COMMAND_PROFILE)
    # deferred: optional extra 'gui', imported after its profile is set
    from tvb.core.entities.model.model_operation import STATUS_FINISHED  # noqa: PLC0415
    from tvb.core.entities.storage import dao  # noqa: PLC0415
    from tvb.interfaces.command import lab  # noqa: PLC0415

    if any(project.name == project_name for project in dao.get_all_projects()):
        return 0
    project = lab.new_project(project_name)
    operation = lab.wait_to_finish(lab.import_conn_zip(project.id, zip_path))
    if operation.status != STATUS_FINISHED:
        print(f"Importing {zip_path} failed: {operation.additional_info}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
