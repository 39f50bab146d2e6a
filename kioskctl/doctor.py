"""``kioskctl doctor``: the technician's health view of a kiosk Pi, one line per check."""

from __future__ import annotations

import click

from appliance import doctor

from .base import main


@main.command("doctor")
@click.option("--root", "root", type=click.Path(exists=True, file_okay=False), default="/",
              show_default=True, help="Check the system installed in this directory tree instead "
                                      "(tools/install.sh --root DIR).")
@click.pass_context
def doctor_command(ctx, root):
    """Check everything a day of check-ins needs: the records' place, the read-only root,
    the watchdog, the services, the screen, the secrets, the clock, the serial adapter and
    the camera.  Exit 0: nothing found; 1: a line says FAIL and what to do."""
    results = doctor.run(doctor.Host(root))
    for result in results:
        click.echo(result.line())
    failed = [r.check for r in results if r.status == doctor.FAIL]
    if failed:
        click.echo(f"{len(failed)} finding(s): {', '.join(failed)}", err=True)
        ctx.exit(1)
