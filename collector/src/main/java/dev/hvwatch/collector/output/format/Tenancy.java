package dev.hvwatch.collector.output.format;

import dev.hvwatch.protocol.VmRef;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A VM's tenant context (protocol {@link VmRef}: the cloud's instance name, project, project id, owning user, flavor
 * and the manager that runs it), in the order and under the names of the canonical alert, for formats that list it.
 */
final class Tenancy {
    /** The cloud whose metadata the tenant fields come from: the agent reads them from OpenStack Nova's. */
    static final String PROVIDER = "OpenStack";

    private Tenancy() {
    }

    /** The tenant fields {@code vm} has, by canonical name; empty when it has none. */
    static Map<String, String> of(VmRef vm) {
        Map<String, String> fields = new LinkedHashMap<>();
        put(fields, "instance_name", vm.instanceName());
        put(fields, "project", vm.project());
        put(fields, "project_id", vm.projectId());
        put(fields, "user", vm.user());
        put(fields, "flavor", vm.flavor());
        put(fields, "manager", vm.manager());
        return fields;
    }

    /** Whether the VM belongs to a cloud tenant: its project is known. */
    static boolean inCloud(VmRef vm) {
        return vm.project() != null || vm.projectId() != null;
    }

    private static void put(Map<String, String> fields, String name, String value) {
        if (value != null) {
            fields.put(name, value);
        }
    }
}
