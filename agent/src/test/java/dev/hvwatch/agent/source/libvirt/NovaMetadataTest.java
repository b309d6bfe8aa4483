package dev.hvwatch.agent.source.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvwatch.agent.vm.Tenant;
import java.io.InputStream;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.xml.sax.SAXException;

/** Nova's metadata in real domain XML of several Nova versions (fixtures' README), and hostile XML. */
class NovaMetadataTest {

    private static Tenant fixture(String name) throws Exception {
        try (InputStream in = NovaMetadataTest.class.getResourceAsStream("/libvirt/nova/" + name)) {
            return NovaMetadata.of(DomainXml.parse(in).getDocumentElement());
        }
    }

    private static Tenant of(String xml) throws SAXException {
        Element domain = DomainXml.parse(xml).getDocumentElement();
        return NovaMetadata.of(domain);
    }

    @Test
    void queensWritesNamespaceOnePointZero() throws Exception {
        assertThat(fixture("queens-1.0.xml")).isEqualTo(new Tenant("web-frontend", "shop",
                "6f4a2c1e9b8d4e7f8a0b1c2d3e4f5a6b", "demo", "0d9b8f0e5b4c4f0e8a2f1e3d4c5b6a79", "m1.medium", null));
    }

    @Test
    void antelopeWritesOnePointOneWithPorts() throws Exception {
        assertThat(fixture("antelope-1.1.xml")).isEqualTo(new Tenant("billing-db-1", "billing",
                "1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f", "alice", "8f2b4a1e6c1d4f0e9b2a3c4d5e6f7a8b", "m1.small", null));
    }

    @Test
    void aPlainDomainHasOnlyItsTitle() throws Exception {
        assertThat(fixture("plain-libvirt.xml"))
                .isEqualTo(new Tenant(null, null, null, null, null, null, "CI runner (team build)"));
    }

    @Test
    void anotherManagersElementsOfTheSameNamesAreNotNovas() throws Exception {
        assertThat(fixture("foreign-namespace.xml")).isEqualTo(Tenant.NONE);
    }

    @Test
    void partialMetadataGivesWhatIsThere() throws Exception {
        Tenant t = of("""
                <domain><name>i-1</name><metadata>
                <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">
                  <nova:name>  spaced  </nova:name><nova:owner><nova:project>p</nova:project></nova:owner>
                  <nova:flavor/>
                </nova:instance></metadata></domain>""");
        assertThat(t).isEqualTo(new Tenant("spaced", "p", null, null, null, null, null));
    }

    @Test
    void entitiesAndDocumentTypesAreRefusedNotExpanded() {
        String billionLaughs = """
                <?xml version="1.0"?>
                <!DOCTYPE domain [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
                <domain><title>&b;</title></domain>""";
        String external = """
                <?xml version="1.0"?>
                <!DOCTYPE domain [<!ENTITY x SYSTEM "file:///etc/passwd">]>
                <domain><title>&x;</title></domain>""";
        assertThatThrownBy(() -> of(billionLaughs)).isInstanceOf(SAXException.class).hasMessageContaining("DOCTYPE");
        assertThatThrownBy(() -> of(external)).isInstanceOf(SAXException.class).hasMessageContaining("DOCTYPE");
        assertThatThrownBy(() -> of("<domain><title>unclosed</domain>")).isInstanceOf(SAXException.class);
    }

    @Test
    void tenantWordsAreBounded() throws Exception {
        String huge = "x".repeat(10_000);
        Tenant t = of("<domain><title>" + huge + "</title><metadata><nova:instance "
                + "xmlns:nova=\"http://openstack.org/xmlns/libvirt/nova/1.1\"><nova:name>" + huge
                + "</nova:name><nova:flavor name=\"" + huge + "\"/></nova:instance></metadata></domain>");
        assertThat(t.title()).hasSize(NovaMetadata.MAX_LENGTH);
        assertThat(t.instanceName()).hasSize(NovaMetadata.MAX_LENGTH);
        assertThat(t.flavor()).hasSize(NovaMetadata.MAX_LENGTH);
    }

    @Test
    void controlCharactersAreKeptForEachOutputToEscape() throws Exception {
        Tenant t = of("<domain><metadata><nova:instance xmlns:nova=\"http://openstack.org/xmlns/libvirt/nova/1.1\">"
                + "<nova:name>evil&#13;&#10;forged line</nova:name></nova:instance></metadata></domain>");
        assertThat(t.instanceName()).isEqualTo("evil\r\nforged line");
    }
}
