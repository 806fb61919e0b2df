package dynamodb

import (
	"context"

	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// api is the part of the DynamoDB client the store calls, held as method values instead of a
// *ddb.Client (or an interface holding one). Why: the SCF runtime links net/rpc, whose
// reflection (reflect.Type.Method) makes Go's linker keep every exported method of every type
// reachable from a type that is converted to an interface. *Store is a callback.Store, so a
// *ddb.Client field would keep all ~60 DynamoDB operations with their serializers and
// middleware stacks: megabytes of binary (docs/performance.md) that no roomhook request runs.
// Method values hide the client's type from the store's type descriptor, so only these nine
// are linked.
type api struct {
	getItem       func(context.Context, *ddb.GetItemInput, ...func(*ddb.Options)) (*ddb.GetItemOutput, error)
	putItem       func(context.Context, *ddb.PutItemInput, ...func(*ddb.Options)) (*ddb.PutItemOutput, error)
	deleteItem    func(context.Context, *ddb.DeleteItemInput, ...func(*ddb.Options)) (*ddb.DeleteItemOutput, error)
	updateItem    func(context.Context, *ddb.UpdateItemInput, ...func(*ddb.Options)) (*ddb.UpdateItemOutput, error) // the migration to version 4 only
	query         func(context.Context, *ddb.QueryInput, ...func(*ddb.Options)) (*ddb.QueryOutput, error)
	batchGetItem  func(context.Context, *ddb.BatchGetItemInput, ...func(*ddb.Options)) (*ddb.BatchGetItemOutput, error) // Lister.AppRooms only
	scan          func(context.Context, *ddb.ScanInput, ...func(*ddb.Options)) (*ddb.ScanOutput, error)                 // migrations only
	describeTable func(context.Context, *ddb.DescribeTableInput, ...func(*ddb.Options)) (*ddb.DescribeTableOutput, error)
	createTable   func(context.Context, *ddb.CreateTableInput, ...func(*ddb.Options)) (*ddb.CreateTableOutput, error)
}

func newAPI(c *ddb.Client) api {
	return api{
		getItem:       c.GetItem,
		putItem:       c.PutItem,
		deleteItem:    c.DeleteItem,
		updateItem:    c.UpdateItem,
		query:         c.Query,
		batchGetItem:  c.BatchGetItem,
		scan:          c.Scan,
		describeTable: c.DescribeTable,
		createTable:   c.CreateTable,
	}
}
