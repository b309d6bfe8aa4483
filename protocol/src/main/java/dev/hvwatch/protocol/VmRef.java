package dev.hvwatch.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * The VM an alert concerns, as the host sees it, with the tenant context its manager recorded where known
 * (OpenStack Nova's instance metadata in the libvirt domain). Tenant fields are omitted when unknown.
 *
 * @param name         the hypervisor's name for the VM (QEMU {@code -name guest=}, libvirt's domain name)
 * @param uuid         the VM's UUID, or empty
 * @param pid          the QEMU process id
 * @param instanceName the cloud's display name of the instance (Nova {@code nova:name})
 * @param project      the tenant's project name (Nova {@code nova:project})
 * @param projectId    the tenant's project UUID
 * @param user         the user who owns the instance (Nova {@code nova:user})
 * @param flavor       the instance's flavor (Nova {@code nova:flavor name=})
 * @param manager      what runs the VM: {@code libvirt} or {@code qemu} (plain QEMU)
 */
@JsonPropertyOrder({"name", "uuid", "pid", "instance_name", "project", "project_id", "user", "flavor", "manager"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VmRef(String name, String uuid, long pid,
                    @JsonProperty("instance_name") String instanceName,
                    String project,
                    @JsonProperty("project_id") String projectId,
                    String user,
                    String flavor,
                    String manager) {

    /** A VM without tenant context (plain QEMU, or a manager whose metadata is unknown). */
    public VmRef(String name, String uuid, long pid) {
        this(name, uuid, pid, null, null, null, null, null, null);
    }
}
