# origin: github.com/libvirt/libvirt tests/networkxml2firewalldata/base.iptables (commit
#   f341bdee8d26980371405988ff2681b719c3a513) followed by tests/networkxml2firewalldata/isolated-linux.iptables
#   (commit 397c0f4b01ae1b24806a145ffbd31a9a49126ae3): the exact commands libvirt's iptables backend runs for network isolated.xml
# license: LGPL-2.1-or-later (libvirt)
# changed: backslash-continued lines joined into one command a line; base.iptables'
#   read-only "--list-rules" queries and every ip6tables command left out.
iptables -w --table filter --new-chain LIBVIRT_INP
iptables -w --table filter --insert INPUT --jump LIBVIRT_INP
iptables -w --table filter --new-chain LIBVIRT_OUT
iptables -w --table filter --insert OUTPUT --jump LIBVIRT_OUT
iptables -w --table filter --new-chain LIBVIRT_FWO
iptables -w --table filter --insert FORWARD --jump LIBVIRT_FWO
iptables -w --table filter --new-chain LIBVIRT_FWI
iptables -w --table filter --insert FORWARD --jump LIBVIRT_FWI
iptables -w --table filter --new-chain LIBVIRT_FWX
iptables -w --table filter --insert FORWARD --jump LIBVIRT_FWX
iptables -w --table nat --new-chain LIBVIRT_PRT
iptables -w --table nat --insert POSTROUTING --jump LIBVIRT_PRT
iptables -w --table mangle --new-chain LIBVIRT_PRT
iptables -w --table mangle --insert POSTROUTING --jump LIBVIRT_PRT
iptables -w --table filter --insert LIBVIRT_INP --in-interface virbr0 --protocol tcp --destination-port 67 --jump ACCEPT
iptables -w --table filter --insert LIBVIRT_INP --in-interface virbr0 --protocol udp --destination-port 67 --jump ACCEPT
iptables -w --table filter --insert LIBVIRT_OUT --out-interface virbr0 --protocol tcp --destination-port 68 --jump ACCEPT
iptables -w --table filter --insert LIBVIRT_OUT --out-interface virbr0 --protocol udp --destination-port 68 --jump ACCEPT
iptables -w --table filter --insert LIBVIRT_INP --in-interface virbr0 --protocol tcp --destination-port 53 --jump ACCEPT
iptables -w --table filter --insert LIBVIRT_INP --in-interface virbr0 --protocol udp --destination-port 53 --jump ACCEPT
iptables -w --table filter --insert LIBVIRT_OUT --out-interface virbr0 --protocol tcp --destination-port 53 --jump ACCEPT
iptables -w --table filter --insert LIBVIRT_OUT --out-interface virbr0 --protocol udp --destination-port 53 --jump ACCEPT
iptables -w --table filter --insert LIBVIRT_FWO --in-interface virbr0 --jump REJECT
iptables -w --table filter --insert LIBVIRT_FWI --out-interface virbr0 --jump REJECT
iptables -w --table filter --insert LIBVIRT_FWX --in-interface virbr0 --out-interface virbr0 --jump ACCEPT
iptables -w --table mangle --insert LIBVIRT_PRT --out-interface virbr0 --protocol udp --destination-port 68 --jump CHECKSUM --checksum-fill
