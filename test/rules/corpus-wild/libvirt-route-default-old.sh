# origin: github.com/libvirt/libvirt tests/networkxml2firewalldata/route-default-linux.args
#   (commit 20512b8436fb602f3d9048ef5f4b686c542b2369, the older backend that inserts straight
#   into the built-in chains): the commands for network route-default.xml
# license: LGPL-2.1-or-later (libvirt)
# changed: backslash-continued lines joined into one command a line.
iptables --table filter --insert INPUT --in-interface virbr0 --protocol tcp --destination-port 67 --jump ACCEPT
iptables --table filter --insert INPUT --in-interface virbr0 --protocol udp --destination-port 67 --jump ACCEPT
iptables --table filter --insert OUTPUT --out-interface virbr0 --protocol udp --destination-port 68 --jump ACCEPT
iptables --table filter --insert INPUT --in-interface virbr0 --protocol tcp --destination-port 53 --jump ACCEPT
iptables --table filter --insert INPUT --in-interface virbr0 --protocol udp --destination-port 53 --jump ACCEPT
iptables --table filter --insert FORWARD --in-interface virbr0 --jump REJECT
iptables --table filter --insert FORWARD --out-interface virbr0 --jump REJECT
iptables --table filter --insert FORWARD --in-interface virbr0 --out-interface virbr0 --jump ACCEPT
iptables --table filter --insert FORWARD --source 192.168.122.0/24 --in-interface virbr0 --jump ACCEPT
iptables --table filter --insert FORWARD --destination 192.168.122.0/24 --out-interface virbr0 --jump ACCEPT
iptables --table mangle --insert POSTROUTING --out-interface virbr0 --protocol udp --destination-port 68 --jump CHECKSUM --checksum-fill
