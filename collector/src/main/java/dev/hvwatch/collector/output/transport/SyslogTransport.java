package dev.hvwatch.collector.output.transport;

import dev.hvwatch.collector.config.OutputConfig;
import dev.hvwatch.collector.config.OutputConfig.SyslogProtocol;
import dev.hvwatch.collector.output.Formatted;
import dev.hvwatch.collector.output.Transport;
import dev.hvwatch.protocol.config.HostPort;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Sends RFC 5424 messages to a syslog receiver: over TLS (RFC 5425) or plain TCP, each framed by octet counting
 * ({@code LEN SP MSG}, RFC 6587 §3.4.1), or over UDP one message per datagram (RFC 5426). TLS checks the receiver's
 * certificate against {@code tls.ca} and the host name dialled.
 *
 * <p>Syslog has no acknowledgement: a batch counts as delivered once the socket took it. Before each batch the
 * connection is checked for a receiver that has closed it, so that a restarted receiver costs no batch; what a
 * receiver that crashes holds unread in its buffers is lost to it. Outputs that must never lose an alert use Kafka
 * or a webhook, which acknowledge.
 */
public final class SyslogTransport implements Transport {
    /** RFC 5426: the largest UDP payload over IPv4. */
    static final int MAX_DATAGRAM = 65_507;

    private final HostPort address;
    private final SyslogProtocol protocol;
    private final int connectTimeoutMillis;
    private final SSLContext tls;
    private Socket socket;
    private OutputStream out;
    private DatagramSocket datagrams;

    public SyslogTransport(OutputConfig.Syslog config) throws IOException {
        this.address = config.hostPort();
        this.protocol = config.protocol();
        this.connectTimeoutMillis = (int) config.connectTimeout().toMillis();
        this.tls = protocol == SyslogProtocol.TLS
                ? ClientTlsContext.of(config.tls().ca(), config.tls().cert(), config.tls().key())
                : null;
    }

    @Override
    public void deliver(List<Formatted> batch) throws IOException {
        if (protocol == SyslogProtocol.UDP) {
            sendDatagrams(batch);
            return;
        }
        if (socket != null && closedByReceiver()) {
            disconnect();
        }
        if (socket == null) {
            connect();
        }
        try {
            for (Formatted alert : batch) {
                out.write(Integer.toString(alert.bytes().length).getBytes(StandardCharsets.US_ASCII));
                out.write(' ');
                out.write(alert.bytes());
            }
            out.flush();
        } catch (IOException e) {
            disconnect();
            throw e;
        }
    }

    @Override
    public void close() {
        disconnect();
        if (datagrams != null) {
            datagrams.close();
        }
    }

    private void connect() throws IOException {
        InetSocketAddress target = new InetSocketAddress(address.host(), address.port());
        Socket plain = new Socket();
        try {
            plain.connect(target, connectTimeoutMillis);
            plain.setTcpNoDelay(true);
            if (tls != null) {
                SSLSocket secure = (SSLSocket) tls.getSocketFactory().createSocket(plain, address.host(),
                        address.port(), true);
                SSLParameters parameters = secure.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                secure.setSSLParameters(parameters);
                secure.setSoTimeout(connectTimeoutMillis);
                secure.startHandshake();
                socket = secure;
            } else {
                socket = plain;
            }
            out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
        } catch (IOException e) {
            plain.close();
            throw new IOException("syslog " + protocol.wireName() + " " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether the receiver closed the connection: it never sends anything, so a read that does not time out at
     * once means it has gone (end of stream, a reset or a TLS close).
     */
    private boolean closedByReceiver() {
        try {
            socket.setSoTimeout(1);
            socket.getInputStream().read();
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private void disconnect() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // Closing a connection already broken; nothing left to release.
            }
            socket = null;
            out = null;
        }
    }

    private void sendDatagrams(List<Formatted> batch) throws IOException {
        if (datagrams == null) {
            datagrams = new DatagramSocket();
            datagrams.connect(new InetSocketAddress(address.host(), address.port()));
        }
        for (Formatted alert : batch) {
            byte[] message = alert.bytes();
            // RFC 5426 lets a sender truncate what does not fit; alerts are a few hundred bytes.
            datagrams.send(new DatagramPacket(message, Math.min(message.length, MAX_DATAGRAM)));
        }
    }
}
