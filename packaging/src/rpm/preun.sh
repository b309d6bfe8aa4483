# %preun: erasing the package (not upgrading it) stops and disables the service.
if [ "$1" -eq 0 ] && [ -d /run/systemd/system ]; then
    systemctl --no-reload disable --now %{name}.service >/dev/null 2>&1 || :
fi
exit 0
