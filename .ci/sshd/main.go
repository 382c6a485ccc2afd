// Command sshd stands in for the testcontainers/sshd image on machines that
// cannot pull it. testcontainers-go's host port access
// (testcontainers.WithHostPortAccess) starts that image, logs in as root
// with the password it put in $PASSWORD, and asks for remote port
// forwarding: containers then reach a port of the test process at
// host.testcontainers.internal. This server does exactly that much: password
// login for root and "tcpip-forward" requests, listening on every interface
// (sshd's GatewayPorts=yes), each accepted connection relayed over a
// "forwarded-tcpip" channel. Sessions, shells and other requests are refused.
//
// .ci/docker-base.sh builds it into a local image under the tag
// testcontainers-go expects, only when that tag is absent.
package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"io"
	"log"
	"net"
	"os"
	"strconv"
	"sync"

	"golang.org/x/crypto/ssh"
)

func main() {
	addr := ":22"
	if p := os.Getenv("SSHD_PORT"); p != "" {
		addr = ":" + p
	}
	password := []byte(os.Getenv("PASSWORD"))
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		log.Fatal(err)
	}
	cfg := &ssh.ServerConfig{
		PasswordCallback: func(c ssh.ConnMetadata, pass []byte) (*ssh.Permissions, error) {
			if c.User() == "root" && len(password) > 0 && subtle.ConstantTimeCompare(pass, password) == 1 {
				return nil, nil
			}
			return nil, errors.New("access denied")
		},
	}
	cfg.AddHostKey(signer)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("sshd stand-in listening on %s", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go serve(c, cfg)
	}
}

// forwardRequest is the payload of "tcpip-forward" and
// "cancel-tcpip-forward" (RFC 4254 7.1).
type forwardRequest struct {
	Addr string
	Port uint32
}

// forwardedChannel is the payload of a "forwarded-tcpip" channel (RFC 4254
// 7.2).
type forwardedChannel struct {
	Addr       string
	Port       uint32
	OriginAddr string
	OriginPort uint32
}

func serve(nc net.Conn, cfg *ssh.ServerConfig) {
	conn, chans, reqs, err := ssh.NewServerConn(nc, cfg)
	if err != nil {
		nc.Close()
		return
	}
	defer conn.Close()
	go func() {
		for ch := range chans {
			_ = ch.Reject(ssh.Prohibited, "only remote port forwarding is served")
		}
	}()
	var mu sync.Mutex
	listeners := map[forwardRequest]net.Listener{}
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, l := range listeners {
			l.Close()
		}
	}()
	for req := range reqs {
		switch req.Type {
		case "tcpip-forward":
			var fr forwardRequest
			if ssh.Unmarshal(req.Payload, &fr) != nil {
				_ = req.Reply(false, nil)
				continue
			}
			l, err := net.Listen("tcp", net.JoinHostPort("0.0.0.0", strconv.Itoa(int(fr.Port))))
			if err != nil {
				log.Printf("forward port %d: %v", fr.Port, err)
				_ = req.Reply(false, nil)
				continue
			}
			var reply []byte
			if fr.Port == 0 {
				fr.Port = uint32(l.Addr().(*net.TCPAddr).Port)
				reply = ssh.Marshal(struct{ Port uint32 }{fr.Port})
			}
			mu.Lock()
			listeners[fr] = l
			mu.Unlock()
			_ = req.Reply(true, reply)
			log.Printf("forwarding port %d to the client", fr.Port)
			go relay(conn, l, fr)
		case "cancel-tcpip-forward":
			var fr forwardRequest
			_ = ssh.Unmarshal(req.Payload, &fr)
			mu.Lock()
			l, ok := listeners[fr]
			delete(listeners, fr)
			mu.Unlock()
			if ok {
				l.Close()
			}
			_ = req.Reply(ok, nil)
		default:
			if req.WantReply {
				_ = req.Reply(false, nil)
			}
		}
	}
}

// relay sends every connection accepted on l to the client.
func relay(conn *ssh.ServerConn, l net.Listener, fr forwardRequest) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			origin := c.RemoteAddr().(*net.TCPAddr)
			ch, reqs, err := conn.OpenChannel("forwarded-tcpip", ssh.Marshal(forwardedChannel{
				Addr: fr.Addr, Port: fr.Port, OriginAddr: origin.IP.String(), OriginPort: uint32(origin.Port),
			}))
			if err != nil {
				return
			}
			defer ch.Close()
			go ssh.DiscardRequests(reqs)
			done := make(chan struct{}, 2)
			go func() { _, _ = io.Copy(ch, c); _ = ch.CloseWrite(); done <- struct{}{} }()
			go func() { _, _ = io.Copy(c, ch); done <- struct{}{} }()
			<-done
			<-done
		}()
	}
}
