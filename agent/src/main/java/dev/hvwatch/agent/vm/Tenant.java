package dev.hvwatch.agent.vm;

/**
 * Who a VM belongs to, as its manager recorded it: OpenStack Nova's instance metadata in the libvirt domain, and
 * libvirt's own {@code <title>}. Every field is null when unknown; the values are the tenant's own words (hostile:
 * bounded when read, escaped by every output).
 *
 * @param instanceName the instance's display name ({@code nova:name})
 * @param project      the project's name ({@code nova:project})
 * @param projectId    the project's UUID
 * @param user         the owning user's name ({@code nova:user})
 * @param userId       the owning user's UUID
 * @param flavor       the flavor's name ({@code nova:flavor name=})
 * @param title        libvirt's {@code <title>}
 */
public record Tenant(String instanceName, String project, String projectId, String user, String userId,
                     String flavor, String title) {
    public static final Tenant NONE = new Tenant(null, null, null, null, null, null, null);
}
