package dev.connpool.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Ports#closed()}: refused now, and no server can take it later. */
@Timeout(30)
class PortsTest {

    @Test
    void aClosedPortRefusesConnectsAndCannotBeListenedOn() throws IOException {
        int port = Ports.closed();
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);

        assertThatExceptionOfType(ConnectException.class).isThrownBy(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(address, 5_000);
            }
        });
        // a server that asks for address reuse, as Redis and most servers do, still cannot take it
        try (ServerSocket server = new ServerSocket()) {
            server.setReuseAddress(true);
            assertThatExceptionOfType(BindException.class).isThrownBy(() -> server.bind(address));
        }
    }

    @Test
    void eachCallGivesAnotherPort() {
        assertThat(Ports.closed()).isNotEqualTo(Ports.closed());
    }
}
