package io.fulfilmentbridge;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.DynamicMBean;
import javax.management.JMException;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXConnectorServerFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Another JVM's JMX port, as a JSR-160 proxy request would name it in its target: an MBean server of
 * its own on loopback with one MBean the bridge lacks, whose attribute reads "read-through-the-proxy"
 * and whose operation "touch" records that it ran.
 */
public final class JmxProxyProbe implements AutoCloseable {

    public static final String READ_VALUE = "read-through-the-proxy";

    private final ObjectName name;
    private final AtomicBoolean touched = new AtomicBoolean();
    private final JMXConnectorServer server;

    public JmxProxyProbe() throws JMException, IOException {
        MBeanServer other = MBeanServerFactory.newMBeanServer();
        name = new ObjectName("java.lang:type=ProxyProbe");
        other.registerMBean(probe(), name);
        server = JMXConnectorServerFactory.newJMXConnectorServer(new JMXServiceURL("rmi", "127.0.0.1", 0), null, other);
        server.start();
    }

    public String url() {
        return server.getAddress().toString();
    }

    public ObjectName name() {
        return name;
    }

    public boolean touched() {
        return touched.get();
    }

    @Override
    public void close() throws IOException {
        server.stop();
    }

    private DynamicMBean probe() {
        return new DynamicMBean() {
            @Override
            public Object getAttribute(String attribute) {
                return READ_VALUE;
            }

            @Override
            public void setAttribute(Attribute attribute) {
            }

            @Override
            public AttributeList getAttributes(String[] attributes) {
                return new AttributeList(List.of(new Attribute("Secret", READ_VALUE)));
            }

            @Override
            public AttributeList setAttributes(AttributeList attributes) {
                return new AttributeList();
            }

            @Override
            public Object invoke(String operation, Object[] params, String[] signature) {
                touched.set(true);
                return "touched";
            }

            @Override
            public MBeanInfo getMBeanInfo() {
                return new MBeanInfo("Probe", "probe",
                        new MBeanAttributeInfo[] {new MBeanAttributeInfo("Secret", "java.lang.String", "secret", true, false, false)}, null,
                        new MBeanOperationInfo[] {new MBeanOperationInfo("touch", "touch", new MBeanParameterInfo[0], "java.lang.String",
                                MBeanOperationInfo.ACTION)},
                        null);
            }
        };
    }
}
