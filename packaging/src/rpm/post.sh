# %post: systemd learns of the unit; an upgrade restarts a running service. A fresh install starts nothing: the
# service needs its certificates first.
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
    if [ "$1" -ge 2 ]; then
        systemctl try-restart %{name}.service >/dev/null 2>&1 || :
    fi
fi
exit 0
