package dev.hvwatch.agent.source.libvirt;

import dev.hvwatch.agent.vm.Tenant;
import org.w3c.dom.Element;

/**
 * The tenant OpenStack Nova records in each instance's libvirt domain: {@code <metadata><nova:instance>} with the
 * instance's display name, flavor, owning user and project (names as text, UUIDs as attributes), and libvirt's own
 * {@code <title>}. Nova has written two namespace versions, {@code http://openstack.org/xmlns/libvirt/nova/1.0} and
 * {@code …/1.1} (which adds the ports); both are read. Values are the tenant's words: each is cut at
 * {@value #MAX_LENGTH} characters here, and escaped by whatever prints it.
 */
public final class NovaMetadata {
    static final String NAMESPACE_PREFIX = "http://openstack.org/xmlns/libvirt/nova/";
    static final int MAX_LENGTH = 256;

    private NovaMetadata() {
    }

    /** The tenant of a {@code <domain>} element; {@link Tenant#NONE} when it has neither Nova metadata nor title. */
    public static Tenant of(Element domain) {
        String title = bounded(DomainXml.text(DomainXml.child(domain, "title")));
        Element instance = novaInstance(DomainXml.child(domain, "metadata"));
        if (instance == null) {
            return title == null ? Tenant.NONE : new Tenant(null, null, null, null, null, null, title);
        }
        Element owner = nova(instance, "owner");
        Element user = nova(owner, "user");
        Element project = nova(owner, "project");
        Element flavor = nova(instance, "flavor");
        return new Tenant(bounded(DomainXml.text(nova(instance, "name"))), bounded(DomainXml.text(project)),
                attribute(project, "uuid"), bounded(DomainXml.text(user)), attribute(user, "uuid"),
                attribute(flavor, "name"), title);
    }

    private static Element novaInstance(Element metadata) {
        return nova(metadata, "instance");
    }

    /** A child in Nova's namespace (other namespaces' elements of the same name are someone else's). */
    private static Element nova(Element parent, String localName) {
        return DomainXml.child(parent, localName, NovaMetadata::isNova);
    }

    private static boolean isNova(Element e) {
        return e.getNamespaceURI() != null && e.getNamespaceURI().startsWith(NAMESPACE_PREFIX);
    }

    private static String attribute(Element e, String name) {
        return e == null || !e.hasAttribute(name) ? null : bounded(e.getAttribute(name).strip());
    }

    private static String bounded(String s) {
        if (s == null || s.isEmpty()) {
            return null;
        }
        return s.length() <= MAX_LENGTH ? s : s.substring(0, MAX_LENGTH);
    }
}
