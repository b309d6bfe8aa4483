# %pre of hvwatch-agent and hvwatch-collector: the service's system user, named after the package.
getent group %{name} >/dev/null || groupadd -r %{name}
getent passwd %{name} >/dev/null || useradd -r -g %{name} -d /nonexistent -M -s /sbin/nologin \
    -c "hvwatch service" %{name}
exit 0
