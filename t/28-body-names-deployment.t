#!/usr/bin/perl

# A route that takes its deployment from the body ("model", realtime
# "session.model") but whose body names none is 400 AmbiguousRequest:
# Azure would answer from a deployment the module never judged, or fail.
# Routes where the body may leave the model out (an assistant's runs,
# vector stores, cancelling a response) still pass.  HTTP/1.1, HTTP/2 and
# a body spooled to a temp file.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new;

$t->write_catalog;
$t->write_conf(<<'EOF2');
    server {
        listen 127.0.0.1:%%PORT%%;
        listen 127.0.0.1:%%PORT_H2%% http2;
        azoai on;
        azoai_catalog %%CATALOG%%;
        client_body_buffer_size 256;
        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF2
$t->start_upstream->start;

my $JSON = [['Content-Type', 'application/json']];
my $CHAT = '"messages":[{"role":"user","content":"hi"}]';
my $GA = 'api-version=2024-10-21';

sub post {
    my ($path, $body, %o) = @_;
    return { method => 'POST', path => $path, headers => $JSON,
             body => $body, %o };
}

# named: passes (the denials below are about the missing name)
$t->expect_allowed(post('/openai/v1/chat/completions',
                        qq({"model":"chat-prod",$CHAT})),
                   'v1 chat completion with model passes');

my @none = (
    [post('/openai/v1/chat/completions', "{$CHAT}"),
     'v1 chat completion without model'],
    [post('/openai/v1/chat/completions',
          qq({$CHAT,"data_sources":[{"type":"azure_search","parameters":)
          . qq({"embedding_dependency":{"type":"deployment_name",)
          . qq("deployment_name":"chat-prod"}}}]})),
     'v1 chat completion naming only an embedding deployment'],
    [post('/openai/v1/chat/completions', qq({$CHAT,"session":{"x":1}})),
     'v1 chat completion with a session object but no model'],
    [post('/openai/v1/embeddings', '{"input":"hello"}'),
     'v1 embeddings without model'],
    [post('/openai/v1/responses', '{"input":"hello"}'),
     'v1 responses without model'],
    [post('/openai/v1/responses/compact', '{"input":[]}'),
     'v1 responses compact without model'],
    [post('/openai/v1/realtime/client_secrets',
          '{"session":{"type":"realtime"}}'),
     'v1 realtime client secret without session.model'],
    [post('/openai/v1/fine_tuning/jobs', '{"training_file":"file-1"}'),
     'v1 fine-tuning job without base model'],
    [post("/openai/realtimeapi/sessions?$GA", '{"voice":"alloy"}'),
     'realtime session without model'],
    [post('/openai/v1/chat/completions', '{}'), 'an empty object'],
);

for my $c (@none) {
    my ($req, $name) = @$c;
    $t->expect_denied($req, 400, 'AmbiguousRequest', $name);
}

my $r = $t->request(post('/openai/v1/embeddings', '{"input":"x"}'));
like((json_decode($r->{body}) // {})->{error}{message} // '',
     qr/an? embeddings request names its deployment in the body .*names none/,
     'the message names the operation and what is missing');

# a body spooled to a temp file (client_body_buffer_size 256)
my $long = '"messages":[{"role":"user","content":"' . ('x' x 20000) . '"}]';
$t->expect_denied(post('/openai/v1/chat/completions', "{$long}"), 400,
                  'AmbiguousRequest', 'a 20 KB body in a temp file');
$t->expect_allowed(post('/openai/v1/chat/completions',
                        qq({$long,"model":"chat-prod"})),
                   'the same body with model, last, passes');

SKIP: {
    skip 'curl without HTTP/2', 2 unless curl_h2_available();
    $t->expect_denied(post('/openai/v1/chat/completions', "{$CHAT}",
                           via => 'h2', port => $t->port('h2')),
                      400, 'AmbiguousRequest', 'HTTP/2: no model');
}

# routes where the model may be left out still pass
my @may = (
    [post("/openai/vector_stores?$GA", '{"name":"docs"}'),
     'classic vector store'],
    [post('/openai/v1/vector_stores', '{"name":"docs"}'),
     'v1 vector store'],
    [post('/openai/v1/responses/resp_1/cancel', '{}'),
     'cancelling a response'],
    [post('/openai/deployments/chat-prod/chat/completions?' . $GA,
          "{$CHAT}"), 'a path deployment needs no body model'],
);

for my $c (@may) {
    my ($req, $name) = @$c;
    $t->expect_allowed($req, "$name passes without model");
}

$t->error_log_clean;

done_testing;
