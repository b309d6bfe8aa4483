# %postun: RPM has no purge; the state under /var/lib/hvwatch stays after an erase (packaging/README.md).
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
fi
exit 0
