package client_test

import (
	"context"
	"fmt"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/client"
)

// The README's example: log in, look a SKU up, take in an order. It
// needs a running server (`make run`), so it is compiled, not run.
func Example() {
	ctx := context.Background()
	c := client.New("http://127.0.0.1:8080")
	if err := c.Login(ctx, "supervisor", "pickwave"); err != nil {
		fmt.Println(err)
		return
	}
	sku, err := c.Inventory.SKU(ctx, "SKU-0001")
	if pickwave.ErrorCode(err) == pickwave.ENOTFOUND {
		fmt.Println("no such SKU")
		return
	}
	o, created, err := c.Orders.CreateOrder(ctx, &pickwave.OrderInput{
		ExternalID: "SHOP-1001",
		Customer:   pickwave.Customer{Name: "Ada Lovelace"},
		ShipTo:     pickwave.Address{Name: "Ada Lovelace", Address1: "12 Maple St", City: "Columbus", PostalCode: "43215", Country: "US"},
		Lines:      []pickwave.LineInput{{SKU: sku.Code, Qty: 2}},
		Carrier:    "UPS", ShipBy: time.Now().Add(48 * time.Hour),
	})
	if err != nil {
		fmt.Println(pickwave.ErrorCode(err), pickwave.ErrorMessage(err), pickwave.ErrorDetails(err))
		return
	}
	fmt.Println(o.ID, o.Status, created)
}

// ExampleOrderService_ImportOrders shows that code written against the root
// interfaces runs over the network: importOrders takes any
// pickwave.OrderService, the store's or the client's.
func ExampleOrderService_ImportOrders() {
	var orders pickwave.OrderService = client.New("http://127.0.0.1:8080", client.WithToken("TOKEN")).Orders
	_, err := orders.ImportOrders(context.Background(), []pickwave.ImportOrder{{Input: &pickwave.OrderInput{ExternalID: "SHOP-1"}, Rows: []int{2}}})
	if err != nil {
		// Every bad field, each with the line of the caller's input.
		fields, _ := pickwave.ErrorDetails(err).([]pickwave.FieldError)
		for _, f := range fields {
			fmt.Println(f.Line, f.Field, f.Reason)
		}
	}
}
