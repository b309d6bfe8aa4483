package dev.hvwatch.agent.source.libvirt;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.util.function.Predicate;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * libvirt's domain XML (a definition, a status file, or what {@code virDomainGetXMLDesc} returns), parsed safely: a
 * tenant writes part of it (metadata, title), so a document type declaration — and with it every entity, internal or
 * external — is refused, and nothing is fetched.
 */
public final class DomainXml {
    private DomainXml() {
    }

    /** @throws SAXException if the document is not well-formed or declares a DTD */
    public static Document parse(InputStream in) throws IOException, SAXException {
        return builder().parse(in);
    }

    /** @throws SAXException if the document is not well-formed or declares a DTD */
    public static Document parse(String xml) throws SAXException {
        try {
            return builder().parse(new InputSource(new StringReader(xml)));
        } catch (IOException e) {
            throw new IllegalStateException("reading a string cannot fail", e);
        }
    }

    /** The first child element with this local name (any namespace), or null. */
    public static Element child(Element parent, String localName) {
        return child(parent, localName, e -> true);
    }

    /** The first child element with this local name that {@code accept}s, or null. */
    public static Element child(Element parent, String localName, Predicate<Element> accept) {
        if (parent == null) {
            return null;
        }
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            Node n = nodes.item(i);
            if (n instanceof Element e && localName.equals(e.getLocalName()) && accept.test(e)) {
                return e;
            }
        }
        return null;
    }

    /** The element's text, stripped, or null for no element. */
    public static String text(Element e) {
        return e == null ? null : e.getTextContent().strip();
    }

    private static DocumentBuilder builder() {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            DocumentBuilder builder = f.newDocumentBuilder();
            builder.setErrorHandler(new ErrorHandler() { // the default one prints to stderr besides throwing
                @Override
                public void warning(SAXParseException e) {
                }

                @Override
                public void error(SAXParseException e) throws SAXException {
                    throw e;
                }

                @Override
                public void fatalError(SAXParseException e) throws SAXException {
                    throw e;
                }
            });
            return builder;
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's XML parser refuses secure processing", e);
        }
    }
}
