-- A neutralized copy (odoo-bin neutralize) must never talk to the production ledger:
-- drop the tokens and keys and mark the connections disconnected.
UPDATE qxs_connection
   SET access_token = NULL,
       refresh_token = NULL,
       token_expiry = NULL,
       webhook_key = NULL,
       oauth_nonce = NULL,
       oauth_state_date = NULL,
       state = 'disconnected';
