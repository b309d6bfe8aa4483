package dev.hvwatch.agent.source.posture;

import dev.hvwatch.agent.vm.Tenant;
import dev.hvwatch.agent.source.libvirt.DomainXml;
import dev.hvwatch.agent.source.libvirt.NovaMetadata;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * What posture reads from libvirt's status XML of a running domain ({@code /run/libvirt/qemu/NAME.xml}:
 * {@code <domstatus pid=…>} around the live {@code <domain>}): PCI host devices, CPU tuning, security labels, disk
 * and network limits, the OpenStack owner, and a fingerprint of each top-level section to see configuration change.
 */
public final class LibvirtDomain {
    private final Path file;
    private final Element domstatus;
    private final Element domain;

    private LibvirtDomain(Path file, Element domstatus, Element domain) {
        this.file = file;
        this.domstatus = domstatus;
        this.domain = domain;
    }

    /** Parses a status file; DTDs and entities are refused ({@link DomainXml}): the tenant writes part of it. */
    public static LibvirtDomain read(Path file) throws UnreadableInput {
        Document doc;
        try (InputStream in = Files.newInputStream(file)) {
            doc = DomainXml.parse(in);
        } catch (IOException e) {
            throw new UnreadableInput(file, "cannot read: " + e.getMessage(), e);
        } catch (SAXException e) {
            throw new UnreadableInput(file, "not well-formed XML: " + e.getMessage(), e);
        }
        Element root = doc.getDocumentElement();
        Element domain = root.getLocalName().equals("domain") ? root : DomainXml.child(root, "domain");
        if (domain == null) {
            throw new UnreadableInput(file, "no <domain> element (expected <domstatus><domain>…)");
        }
        return new LibvirtDomain(file, root.getLocalName().equals("domstatus") ? root : null, domain);
    }

    /** The QEMU pid libvirt recorded, or -1 (a definition rather than a status file). */
    public long pid() {
        String pid = domstatus == null ? "" : domstatus.getAttribute("pid");
        try {
            return pid.isEmpty() ? -1 : Long.parseLong(pid);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    public String uuid() {
        return DomainXml.text(DomainXml.child(domain, "uuid"));
    }

    /** PCI addresses ({@code 0000:3b:00.0}) of {@code <hostdev mode='subsystem' type='pci'>} devices. */
    public List<String> pciHostdevs() throws UnreadableInput {
        List<String> out = new ArrayList<>();
        for (Element hostdev : children(DomainXml.child(domain, "devices"), "hostdev")) {
            if (!"pci".equals(hostdev.getAttribute("type"))) {
                continue;
            }
            Element address = DomainXml.child(DomainXml.child(hostdev, "source"), "address");
            if (address != null) {
                out.add(String.format(Locale.ROOT, "%04x:%02x:%02x.%x", number(address, "domain"),
                        number(address, "bus"), number(address, "slot"), number(address, "function")));
            }
        }
        return out;
    }

    /** Whether {@code <cputune>} sets a CPU weight or ceiling ({@code shares}, {@code *quota}, {@code *period}). */
    public boolean hasCpuTuning() {
        Element cputune = DomainXml.child(domain, "cputune");
        if (cputune == null) {
            return false;
        }
        for (Element e : children(cputune, null)) {
            String name = e.getLocalName();
            if (name.equals("shares") || name.endsWith("quota") || name.endsWith("period")) {
                return true;
            }
        }
        return false;
    }

    /** {@code <seclabel>}s as {@code model:type} (e.g. {@code selinux:dynamic}, {@code none:none}). */
    public List<String> securityLabels() {
        List<String> out = new ArrayList<>();
        for (Element seclabel : children(domain, "seclabel")) {
            String model = seclabel.getAttribute("model");
            out.add((model.isEmpty() ? "default" : model) + ":" + seclabel.getAttribute("type"));
        }
        return out;
    }

    /** Disk target names ({@code vda}) without an {@code <iotune>} limit. */
    public List<String> disksWithoutLimits() {
        List<String> out = new ArrayList<>();
        for (Element disk : children(DomainXml.child(domain, "devices"), "disk")) {
            if (disk.getAttribute("device").equals("cdrom") && DomainXml.child(disk, "source") == null) {
                continue; // an empty CD-ROM drive has no I/O to limit
            }
            if (!hasPositiveChild(DomainXml.child(disk, "iotune"))) {
                Element target = DomainXml.child(disk, "target");
                out.add(target == null ? "?" : target.getAttribute("dev"));
            }
        }
        return out;
    }

    /** Interfaces (target device, else MAC) without a {@code <bandwidth>} limit. */
    public List<String> interfacesWithoutLimits() {
        List<String> out = new ArrayList<>();
        for (Element nic : children(DomainXml.child(domain, "devices"), "interface")) {
            Element bandwidth = DomainXml.child(nic, "bandwidth");
            if (bandwidth == null || (DomainXml.child(bandwidth, "inbound") == null && DomainXml.child(bandwidth, "outbound") == null)) {
                Element target = DomainXml.child(nic, "target");
                Element mac = DomainXml.child(nic, "mac");
                out.add(target != null ? target.getAttribute("dev") : mac != null ? mac.getAttribute("address") : "?");
            }
        }
        return out;
    }

    /**
     * The OpenStack project that owns the instance ({@code <metadata><nova:instance><nova:owner><nova:project
     * uuid=…>}), or null.
     */
    public String owner() {
        Tenant tenant = NovaMetadata.of(domain);
        return tenant.projectId() != null ? tenant.projectId() : tenant.project();
    }

    /**
     * A digest of each top-level section of the domain ({@code devices}, {@code memory}, {@code cputune}, …), so that
     * a change says where it is. Attribute order and indentation do not count.
     */
    public Map<String, String> sectionDigests() {
        Map<String, StringBuilder> canonical = new LinkedHashMap<>();
        for (Element section : children(domain, null)) {
            canonicalise(section, canonical.computeIfAbsent(section.getLocalName(), k -> new StringBuilder()));
        }
        Map<String, String> out = new TreeMap<>();
        canonical.forEach((name, text) -> out.put(name, sha256(text.toString())));
        return out;
    }

    private static void canonicalise(Element e, StringBuilder out) {
        out.append('<').append(e.getLocalName());
        NamedNodeMap attrs = e.getAttributes();
        Map<String, String> sorted = new TreeMap<>();
        for (int i = 0; i < attrs.getLength(); i++) {
            sorted.put(attrs.item(i).getNodeName(), attrs.item(i).getNodeValue());
        }
        sorted.forEach((k, v) -> out.append(' ').append(k).append("=\"").append(v).append('"'));
        out.append('>');
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element child) {
                canonicalise(child, out);
            } else if (n.getNodeType() == Node.TEXT_NODE || n.getNodeType() == Node.CDATA_SECTION_NODE) {
                out.append(n.getNodeValue().strip());
            }
        }
        out.append("</").append(e.getLocalName()).append('>');
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static boolean hasPositiveChild(Element e) {
        for (Element limit : children(e, null)) {
            try {
                if (Long.parseLong(DomainXml.text(limit)) > 0) {
                    return true;
                }
            } catch (NumberFormatException notANumber) {
                // group_name and the like name a group, they limit nothing by themselves
            }
        }
        return false;
    }

    /** libvirt writes PCI address parts as {@code 0x3b} (hex) and sometimes plain decimal. */
    private int number(Element address, String attribute) throws UnreadableInput {
        String v = address.getAttribute(attribute).strip();
        try {
            if (v.isEmpty()) {
                return 0;
            }
            return v.startsWith("0x") || v.startsWith("0X") ? Integer.parseInt(v.substring(2), 16)
                    : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UnreadableInput(file, "hostdev address " + attribute + "='" + v + "' is not a number");
        }
    }

    /** Child elements with this local name (any namespace), or all of them for null. */
    private static List<Element> children(Element parent, String localName) {
        List<Element> out = new ArrayList<>();
        if (parent == null) {
            return out;
        }
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i) instanceof Element e && (localName == null || localName.equals(e.getLocalName()))) {
                out.add(e);
            }
        }
        return out;
    }
}
