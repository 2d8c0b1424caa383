package rpc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/coder/websocket"
)

// Notification is one subscription message from the server.
type Notification struct {
	Subscription string          `json:"subscription"`
	Topic        string          `json:"topic"`
	Result       json.RawMessage `json:"result"`
}

// WSClient is a JSON-RPC client over a websocket, with subscriptions.
// Notifications arrive on Notifications() in the order the server sent
// them; a consumer that stops reading it is eventually dropped by the
// server, as any slow client is.
type WSClient struct {
	conn  *websocket.Conn
	notes chan Notification

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan wsReply
	err     error // why the connection ended, once it has
	done    chan struct{}
}

type wsReply struct {
	Result json.RawMessage `json:"result"`
	Error  *Error          `json:"error"`
}

// DialWS connects to a node's RPC URL (http:// or ws://, same host and
// port as JSON-RPC over HTTP) with Basic auth.
func DialWS(ctx context.Context, url, user, password string) (*WSClient, error) {
	u := url
	switch {
	case strings.HasPrefix(u, "http://"):
		u = "ws://" + strings.TrimPrefix(u, "http://")
	case strings.HasPrefix(u, "https://"):
		u = "wss://" + strings.TrimPrefix(u, "https://")
	}
	h := http.Header{}
	if user != "" || password != "" {
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+password)))
	}
	conn, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusUnauthorized {
			return nil, ErrAuthFailed
		}
		return nil, fmt.Errorf("websocket %s: %w", u, err)
	}
	conn.SetReadLimit(maxResponseBytes)
	c := &WSClient{conn: conn, notes: make(chan Notification, 256), pending: map[int64]chan wsReply{}, done: make(chan struct{})}
	go c.read()
	return c, nil
}

func (c *WSClient) read() {
	var err error
	defer func() {
		c.mu.Lock()
		c.err = err
		for id, ch := range c.pending {
			close(ch)
			delete(c.pending, id)
		}
		c.mu.Unlock()
		close(c.notes)
		close(c.done)
	}()
	for {
		var data []byte
		_, data, err = c.conn.Read(context.Background())
		if err != nil {
			return
		}
		var msg struct {
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
			ID     *int64          `json:"id"`
			wsReply
		}
		if jerr := json.Unmarshal(data, &msg); jerr != nil {
			continue // batches are never sent by this client
		}
		if msg.Method == "subscription" {
			var n Notification
			if json.Unmarshal(msg.Params, &n) == nil {
				c.notes <- n
			}
			continue
		}
		if msg.ID == nil {
			continue
		}
		c.mu.Lock()
		ch := c.pending[*msg.ID]
		delete(c.pending, *msg.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- msg.wsReply
		}
	}
}

// Notifications delivers subscription messages; it is closed when the
// connection ends (see Err).
func (c *WSClient) Notifications() <-chan Notification { return c.notes }

// Done is closed when the connection has ended.
func (c *WSClient) Done() <-chan struct{} { return c.done }

// Err is why the connection ended (a websocket.CloseError carries the
// server's code and reason), or nil while it is open.
func (c *WSClient) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Call invokes method as Client.Call does, over the socket.
func (c *WSClient) Call(ctx context.Context, method string, params any, result any) error {
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return fmt.Errorf("websocket closed: %w", err)
	}
	c.nextID++
	id := c.nextID
	ch := make(chan wsReply, 1)
	c.pending[id] = ch
	c.mu.Unlock()
	req := struct {
		JSONRPC string `json:"jsonrpc"`
		Method  string `json:"method"`
		Params  any    `json:"params,omitempty"`
		ID      int64  `json:"id"`
	}{"2.0", method, params, id}
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encode %s params: %w", method, err)
	}
	if err := c.conn.Write(ctx, websocket.MessageText, body); err != nil {
		return fmt.Errorf("call %s: %w", method, err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return fmt.Errorf("call %s: websocket closed: %w", method, c.Err())
		}
		if r.Error != nil {
			return r.Error
		}
		if result == nil {
			return nil
		}
		if err := json.Unmarshal(r.Result, result); err != nil {
			return fmt.Errorf("call %s: decode result: %w", method, err)
		}
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return ctx.Err()
	}
}

// Subscribe subscribes to topic (TopicNewTips, TopicMempool, or
// TopicAddress with an address) and returns the subscription id.
func (c *WSClient) Subscribe(ctx context.Context, topic string, address string) (string, error) {
	params := []any{topic}
	if address != "" {
		params = append(params, address)
	}
	var id string
	err := c.Call(ctx, "subscribe", params, &id)
	return id, err
}

// Close closes the connection normally.
func (c *WSClient) Close() error {
	err := c.conn.Close(websocket.StatusNormalClosure, "")
	<-c.done
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
