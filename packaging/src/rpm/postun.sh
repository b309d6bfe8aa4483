# %postun: RPM has no purge; the state under /var/lib/hvwatch stays after an erase (docs/operator-guide.md).
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
fi
exit 0
